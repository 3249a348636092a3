"""Grade one submission: discover -> sandboxed probes -> compare -> score.

numpy-based modules are imported inside :func:`grade_submission`, after the
child has been started, so that the child's start-up (Python, numpy, the
student's module) overlaps with the parent's own imports.
"""

from __future__ import annotations

import logging
import tempfile
import time
from pathlib import Path
from typing import Any, Mapping

from .discover import Submission, load_submission, submission_id
from .errors import SubmissionError
from .requests import probe_limits
from .results import CheckResult, StudentError, SubmissionResult
from .rubric import Rubric
from .sandbox import Child, ChildConfig, ProbeOutcome, ProbeRequest
from .session import Session

logger = logging.getLogger(__name__)


def grade_submission(entry: Path, session: Session,
                     artifacts: Path | None = None) -> SubmissionResult:
    """Grade one submission entry (folder, .py or .zip) under ``session``.

    With ``artifacts``, arrays for reports (the trained network's first-layer
    weights) are saved there as ``first_layer.npz``.
    """
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="sub-", dir=session.tmp) as tmp:
        try:
            submission = load_submission(entry, Path(tmp), session.rubric.module)
        except SubmissionError as exc:
            return _unusable(submission_id(entry), session, str(exc), started)
        result = _grade_loaded(submission, Path(tmp), session, started, artifacts)
    return result


def _grade_loaded(submission: Submission, workdir: Path, session: Session,
                  started: float, artifacts: Path | None) -> SubmissionResult:
    rubric = session.rubric
    if submission.module is None:
        return _unusable(submission.id, session, f"no {rubric.module} found in the submission",
                         started)
    syntax = _syntax_error(submission.module, submission.root)
    if syntax is not None:
        return _unusable(submission.id, session, f"your module cannot be imported: "
                         f"{syntax.summary()}", started, syntax)
    requests = [ProbeRequest(kind, limits) for kind, limits in
                probe_limits(rubric, session.check_ids, session.dataset_settings())]
    child = Child(_child_config(submission, workdir, session, requests), requests)
    try:
        return _run_and_judge(child, submission, workdir, session, started, artifacts)
    finally:
        child.kill()


def _child_config(submission: Submission, workdir: Path, session: Session,
                  requests: list[ProbeRequest]) -> ChildConfig:
    from .limits import Limits

    whole = Limits()
    for request in requests:
        whole = whole.merge(request.limits)
    assert submission.module is not None
    return ChildConfig(
        workdir=workdir, module=submission.module, root=submission.root,
        class_name=session.rubric.class_name, reference=session.rubric.reference,
        reg_scale=session.rubric.reg_scale, limits=whole,
        read_only=(session.rubric.reference.parent, session.data_dir),
        isolation=session.isolation)


def _run_and_judge(child: Child, submission: Submission, workdir: Path, session: Session,
                   started: float, artifacts: Path | None) -> SubmissionResult:
    import numpy as np

    from .checks import Evidence, run_check
    from .probe import build_plan
    from .reference import load_reference

    rubric = session.rubric
    reference = load_reference(rubric)
    data = session.prepared()
    accuracy_args = None
    if data is not None:
        accuracy_args = {"num_classes": len(data.dataset.class_names),
                         "hyperparameters": data.settings.hyperparameters,
                         "data_dir": str(data.directory)}
    plan = build_plan(rubric, reference, session.check_ids, accuracy_args)
    # numpy's stub cannot tell that no key is "allow_pickle"
    np.savez(workdir / "inputs.npz", **plan.arrays())  # type: ignore[arg-type]
    outcomes = child.run({"inputs": str(workdir / "inputs.npz"), "data_dir": plan.data_dir},
                         {p.kind: p.args for p in plan.probes})
    import_outcome = _import_failure(outcomes, workdir, submission)
    if import_outcome is not None:
        return _unusable(submission.id, session, import_outcome[0], started, import_outcome[1])
    probes = {kind: _probe_data(workdir, outcomes[kind]) for kind in outcomes if kind != "import"}
    evidence = Evidence(rubric, plan, reference, probes,
                        data.dataset if data else None, data.settings if data else None)
    from .requests import PROBE_OF_CHECK
    checks = tuple(run_check(rubric.check(c), probes[PROBE_OF_CHECK[c]], evidence)
                   for c in session.check_ids)
    if artifacts is not None and data is not None and "accuracy" in probes:
        _save_first_layer(artifacts, probes["accuracy"].arrays, data.dataset.image_shape)
    timing = {f"probe_{k}": v.seconds for k, v in outcomes.items()}
    timing["total"] = round(time.monotonic() - started, 3)
    return SubmissionResult(submission.id, "graded", checks, None, timing,
                            _info(submission, session, data.dataset.name if data else None))


def _save_first_layer(folder: Path, arrays: Mapping[str, Any],
                      image_shape: tuple[int, ...]) -> None:
    import numpy as np

    W1 = arrays.get("run.W1")
    if W1 is None or W1.ndim != 2 or W1.shape[0] != int(np.prod(image_shape)):
        return
    folder.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(folder / "first_layer.npz", W1=W1, image_shape=np.array(image_shape))


def _probe_data(workdir: Path, outcome: ProbeOutcome) -> Any:
    import json

    import numpy as np

    from .checks import ProbeData

    arrays: dict[str, Any] = {}
    info: Mapping[str, Any] = {}
    if outcome.state == "done":
        try:
            with np.load(workdir / "out" / f"{outcome.id}.npz", allow_pickle=False) as npz:
                arrays = {k: npz[k] for k in npz.files}
            info = json.loads((workdir / "out" / f"{outcome.id}.json").read_text("utf-8"))
        except (OSError, ValueError) as exc:
            outcome = ProbeOutcome(outcome.id, "crashed", outcome.seconds, outcome.output,
                                   f"its results could not be read ({exc})")
    return ProbeData(outcome, arrays, info if isinstance(info, dict) else {})


def _import_failure(outcomes: Mapping[str, ProbeOutcome], workdir: Path,
                    submission: Submission) -> tuple[str, StudentError | None] | None:
    import json

    outcome = outcomes.get("import")
    if outcome is None or outcome.state != "done":
        detail = outcome.detail if outcome else "the sandbox did not start"
        return f"importing your module failed: {detail}", None
    info = json.loads((workdir / "out" / "import.json").read_text("utf-8"))
    if "error" in info:
        error = StudentError.from_json(info["error"])
        return f"importing your module raised {error.summary()}", error
    return None


def _syntax_error(module: Path, root: Path) -> StudentError | None:
    """Compile (never run) the module in the parent: a syntax error needs no sandbox."""
    source = module.read_bytes()
    try:
        compile(source, str(module), "exec", dont_inherit=True)
    except SyntaxError as exc:
        rel = str(module.relative_to(root))
        text = f"  {exc.text.rstrip()}\n" if exc.text else ""
        return StudentError("SyntaxError", exc.msg, f'  File "{rel}", line {exc.lineno}\n'
                            f"{text}SyntaxError: {exc.msg}\n", rel, exc.lineno)
    except ValueError as exc:  # e.g. null bytes in the source
        return StudentError("SyntaxError", str(exc), str(exc), str(module.relative_to(root)))
    return None


def _unusable(sub_id: str, session: Session, reason: str, started: float,
              error: StudentError | None = None) -> SubmissionResult:
    checks = tuple(
        CheckResult(id=c, title=session.rubric.check(c).title, status="error", score=0.0,
                    max_score=session.rubric.check(c).points,
                    visible=session.rubric.check(c).visible,
                    message=f"Not graded: {reason}", error=error)
        for c in session.check_ids)
    return SubmissionResult(sub_id, "error", checks, reason,
                            {"total": round(time.monotonic() - started, 3)},
                            {"rubric": session.rubric.name})


def _info(submission: Submission, session: Session, dataset: str | None) -> dict[str, Any]:
    assert submission.module is not None
    return {"rubric": session.rubric.name,
            "module": str(submission.module.relative_to(submission.root)),
            "dataset": dataset}


def check_ids_of(rubric: Rubric) -> tuple[str, ...]:
    return tuple(c.id for c in rubric.checks)
