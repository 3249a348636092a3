"""Grade one submission: discover -> (notebook run) -> sandboxed probes -> compare -> score.

numpy-based modules are imported inside the functions below, after the
module's child has been started, so that the child's start-up (Python, numpy,
the student's module) overlaps with the parent's own imports.
"""

from __future__ import annotations

import io
import logging
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Mapping

from . import hostile
from .discover import Submission, load_submission, submission_id
from .errors import SubmissionError, UnsafeOutput
from .limits import Limits
from .checkdef import child_files, pack
from . import needs
from .needs import needs_data, probe_defs, probe_limits
from .artifacts import save_notebook_artifacts
from .results import ASSIGNMENT, CheckResult, CheckStatus, StudentError, SubmissionResult
from .sandbox import Child, ChildConfig, ProbeOutcome, ProbeRequest
from .reference import stand_in_source
from .session import Session

logger = logging.getLogger(__name__)


def grade_submission(entry: Path, session: Session,
                     artifacts: Path | None = None) -> SubmissionResult:
    """Grade one submission entry (folder, .py, .ipynb or .zip) under ``session``.

    With ``artifacts``, files for reports are saved there: what the pack's
    probes keep (``ProbeDef.keep``) and, for notebooks, the executed notebook
    and its figures.
    """
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="sub-", dir=session.tmp) as tmp:
        try:
            submission = load_submission(entry, Path(tmp), session.rubric.module,
                                         **_notebook_name(session))
        except SubmissionError as exc:
            return unusable(submission_id(entry), session, str(exc), started)
        # as stored: strings capped, numbers finite, so that writing it cannot fail
        return _grade_loaded(submission, Path(tmp), session, started, artifacts).bounded()


def _notebook_name(session: Session) -> dict[str, str]:
    """The notebook searched for in submissions, when the rubric names it."""
    name = session.rubric.notebook.get("name")
    return {"notebook_name": name} if name else {}


def _grade_loaded(submission: Submission, workdir: Path, session: Session, started: float,
                  artifacts: Path | None) -> SubmissionResult:
    rubric = session.rubric
    if submission.module is None and submission.notebook is None:
        return unusable(submission.id, session,
                        f"no {rubric.module} and no notebook found in the submission"
                        + "".join(f"; {s} was left out" for s in submission.skipped), started,
                        has_notebook=False)
    module_ids = needs.module_checks(session.rubric, session.check_ids)
    notebook_ids = needs.notebook_checks(session.rubric, session.check_ids)
    timing: dict[str, float] = {}
    module = submission.module
    notebook_checks: tuple[CheckResult, ...] = ()
    if notebook_ids:
        try:
            notebook_checks, module = _notebook_part(submission, workdir, session, notebook_ids,
                                                     artifacts, timing)
        except Exception as exc:  # a broken notebook must not cost the module checks
            logger.exception("grading the notebook of %s failed", submission.id)
            notebook_checks = _error_checks(
                session, notebook_ids, f"The notebook could not be graded: {exc!r}")
    module_checks, failure = _module_part(module, submission, workdir, session, module_ids,
                                          artifacts, timing)
    if failure is not None and submission.notebook is None and not submission.skipped:
        return unusable(submission.id, session, failure[0], started, failure[1],
                        _import_mistake_id(session, failure[1]), has_notebook=False)
    order = {c: i for i, c in enumerate(session.check_ids)}
    checks = tuple(sorted(module_checks + notebook_checks, key=lambda c: order[c.id]))
    timing["total"] = round(time.monotonic() - started, 3)
    info = {"rubric": rubric.name, ASSIGNMENT: rubric.kind, "dataset": _dataset_name(session),
            "module": _relative(module, submission, workdir) if submission.module or not module
            else f"{_relative(submission.notebook, submission, workdir)} (class defined in the notebook)",
            "notebook": _relative(submission.notebook, submission, workdir)}
    return SubmissionResult(submission.id, "graded", checks, None, timing, info)


def _relative(path: Path | None, submission: Submission, workdir: Path) -> str | None:
    if path is None:
        return None
    for base in (submission.root, workdir):
        if path.is_relative_to(base):
            return str(path.relative_to(base))
    return path.name


def _dataset_name(session: Session) -> str | None:
    data = session.prepared()
    return data.dataset.name if data else None


def _module_part(module: Path | None, submission: Submission, workdir: Path, session: Session,
                 check_ids: tuple[str, ...], artifacts: Path | None, timing: dict[str, float]
                 ) -> tuple[tuple[CheckResult, ...], tuple[str, StudentError | None] | None]:
    """The module checks, or error results and the reason the module could not be graded."""
    if not check_ids:
        return (), None
    failure: tuple[str, StudentError | None] | None = None
    if module is None:
        failure = (f"no {session.rubric.module} found, and the notebook does not define "
                   f"{session.rubric.class_name}", None)
    else:
        syntax = _syntax_error(module, module.parent if not module.is_relative_to(
            submission.root) else submission.root)
        if syntax is not None:
            failure = (_import_reason(session, syntax), syntax)
    if failure is None:
        assert module is not None
        checks, failure = _run_module(module, submission, workdir, session, check_ids,
                                      artifacts, timing)
        if failure is None:
            return checks, None
    return _error_checks(session, check_ids, f"Not graded: {failure[0]}", failure[1],
                         mistake=_import_mistake_id(session, failure[1])), failure


_NOT_GRADED = "Not graded: your module could not be used (the reason is given once, above)."


def _import_reason(session: Session, error: StudentError) -> str:
    """Why the module cannot be imported, naming a known mistake when one matches."""
    from .mistakes import import_mistake

    mistake = import_mistake(session.rubric, error.type, error.message)
    if mistake is not None:
        return mistake.explanation.format(lineno=error.lineno or "?")
    return f"your module cannot be imported: {error.summary()}"


def _import_mistake_id(session: Session, error: StudentError | None) -> str | None:
    from .mistakes import import_mistake

    if error is None:
        return None
    mistake = import_mistake(session.rubric, error.type, error.message)
    return mistake.id if mistake else None


def _run_module(module: Path, submission: Submission, workdir: Path, session: Session,
                check_ids: tuple[str, ...], artifacts: Path | None, timing: dict[str, float]
                ) -> tuple[tuple[CheckResult, ...], tuple[str, StudentError | None] | None]:
    """Start the child at once (its start-up overlaps the parent's imports), then judge.

    The reference stands in for student code in the probes declared so (the
    two-layer net's train probe): they run last, and the child receives the
    reference's source once the parent holds every other probe's output.
    """
    rubric = session.rubric
    defs = {p.kind: p for p in probe_defs(rubric, check_ids)}
    requests = [ProbeRequest(kind, limits, needs_reference=defs[kind].reference_stands_in,
                             output=defs[kind].output, run=defs[kind].run)
                for kind, limits in probe_limits(rubric, check_ids, session.dataset_settings())]
    root = submission.root if module.is_relative_to(submission.root) else module.parent
    run_dir = workdir / "module"
    run_dir.mkdir()
    config = ChildConfig(
        workdir=run_dir, module=module, root=root, class_name=rubric.class_name,
        reference=stand_in_source(rubric) if any(r.needs_reference for r in requests) else None,
        reg_scale=rubric.reg_scale, limits=_whole(requests),
        read_only=(session.data_dir, root), isolation=session.isolation, run_as=session.run_as,
        package=rubric.modules,
        # the pack's child-side probes (the core's child code names no assignment)
        shared=child_files((rubric.kind,)))
    child = Child(config, requests)
    try:
        return _judge_module(child, run_dir, session, check_ids, artifacts, timing, module)
    finally:
        child.kill()


def _whole(requests: list[ProbeRequest]) -> Limits:
    """Limits for a child serving all of ``requests``: the looser of each."""
    limits = requests[0].limits
    for request in requests[1:]:
        limits = limits.merge(request.limits)
    return limits


def _judge_module(child: Child, run_dir: Path, session: Session, check_ids: tuple[str, ...],
                  artifacts: Path | None, timing: dict[str, float], module: Path
                  ) -> tuple[tuple[CheckResult, ...], tuple[str, StudentError | None] | None]:
    import numpy as np

    from .checks import Evidence, run_check
    from .plan import build_plan
    from .reference import load_reference

    rubric = session.rubric
    reference = load_reference(rubric)
    data = session.prepared() if needs_data(rubric, check_ids) else None
    accuracy_args = None
    if data is not None:
        accuracy_args = {"num_classes": len(data.dataset.class_names),
                         "hyperparameters": data.settings.hyperparameters,
                         "data_dir": str(data.directory)}
    plan = build_plan(rubric, reference, check_ids, accuracy_args)
    buffer = io.BytesIO()
    # numpy's stub cannot tell that no key is "allow_pickle"
    np.savez(buffer, **plan.arrays())  # type: ignore[arg-type]
    try:  # the child is already importing the student's module in run_dir
        hostile.write_into_sandbox(run_dir, "inputs.npz", buffer.getvalue())
    except (OSError, UnsafeOutput) as exc:
        return (), (f"the grader could not hand the inputs to your code ({exc})", None)
    outcomes = child.run({"inputs": str(run_dir / "inputs.npz"), "data_dir": plan.data_dir},
                         {p.kind: p.args for p in plan.probes})
    timing.update({f"probe_{k}": v.seconds for k, v in outcomes.items() if k != "import"})
    failure = _import_failure(outcomes, run_dir)
    if failure is not None:
        return (), failure
    probes = {k: _probe_data(child, v) for k, v in outcomes.items() if k != "import"}
    evidence = Evidence(rubric, plan, reference, probes,
                        data.dataset if data else None, data.settings if data else None)
    if artifacts is not None:
        _keep(artifacts, session, check_ids, probes, data.dataset if data else None)
    results = tuple(run_check(rubric.check(c), probes[plan.probe_of[c]], evidence)
                    for c in check_ids)
    diagnosis = pack(rubric.kind).hook("diagnose")
    if diagnosis is not None:
        started = time.monotonic()
        results = diagnosis(results, evidence, module)
        timing["diagnosis"] = round(time.monotonic() - started, 4)
    return results, None


def _notebook_part(submission: Submission, workdir: Path, session: Session,
                   check_ids: tuple[str, ...], artifacts: Path | None,
                   timing: dict[str, float]) -> tuple[tuple[CheckResult, ...], Path | None]:
    """Run the notebook (if any) and judge it; also return the module to grade."""
    if submission.notebook is None:
        big = [s for s in submission.skipped if ".ipynb" in s]
        if big:
            return _error_checks(session, check_ids, f"The notebook was not run: {big[0]}.",
                                 status="fail"), submission.module
        return _no_notebook(session, check_ids), submission.module
    from .checks.base import to_result
    from .checks.notebook import NotebookEvidence
    from .notebook_run import NotebookSettings, build_module, run_notebook

    rubric = session.rubric
    settings = NotebookSettings.from_rubric(rubric.notebook)
    data = session.prepared()
    run = run_notebook(submission.notebook, submission.module, workdir, settings=settings,
                       data_spec=session.data_spec,
                       eval_inputs=data.directory / "X_eval.npy" if data else None,
                       isolation=session.isolation, run_as=session.run_as,
                       read_only=(session.data_dir,))
    timing["notebook"] = run.seconds
    if artifacts is not None and run.out is not None:
        refused = save_notebook_artifacts(run.out.parent, artifacts)
        run = replace(run, problems=run.problems + refused)
    module = submission.module
    if module is None and run.cells:
        module = build_module(run.cells, submission.notebook, rubric.class_name, rubric.module,
                              workdir, rubric.kind)
    evidence = NotebookEvidence(rubric, run, data, settings.variable)
    results = []
    for check_id in check_ids:
        spec = rubric.check(check_id)
        judge = pack(rubric.kind).check(check_id).judge_function()
        results.append(to_result(spec, judge(spec, evidence)))
    return tuple(results), module


def _no_notebook(session: Session, check_ids: tuple[str, ...]) -> tuple[CheckResult, ...]:
    required = bool(session.rubric.notebook.get("required", False))
    out = []
    for check_id in check_ids:
        spec = session.rubric.check(check_id)
        out.append(CheckResult(
            id=check_id, title=spec.title, status="fail" if required else "skipped", score=0.0,
            max_score=spec.points if required else 0.0, visible=spec.visible,
            message="No notebook in this submission." + (
                "" if required else " (Module-only submissions are not graded on it.)")))
    return tuple(out)


def _keep(folder: Path, session: Session, check_ids: tuple[str, ...],
          probes: Mapping[str, Any], dataset: Any) -> None:
    """Save what the pack's probes leave for the reports (e.g. the first-layer weights)."""
    from .checkdef import resolve

    for probe in probe_defs(session.rubric, check_ids):
        if probe.keep is not None and probe.kind in probes:
            resolve(probe.keep)(folder, probes[probe.kind].arrays, dataset)


def _probe_data(child: Child, outcome: ProbeOutcome) -> Any:
    """The probe's output as the parent read it when the probe ended."""
    from .checks import ProbeData

    collected = child.collected.get(outcome.id)
    if outcome.state != "done" or collected is None:
        return ProbeData(outcome, {}, {})
    if collected.problem:
        outcome = ProbeOutcome(outcome.id, "refused", outcome.seconds, outcome.output,
                               collected.problem)
    return ProbeData(outcome, collected.arrays, collected.info)


def _import_failure(outcomes: Mapping[str, ProbeOutcome],
                    workdir: Path) -> tuple[str, StudentError | None] | None:
    from . import hostile

    outcome = outcomes.get("import")
    if outcome is None or outcome.state != "done":
        detail = outcome.detail if outcome else "the sandbox did not start"
        return f"importing your module failed: {detail}", None
    try:
        info = hostile.read_json(workdir, "out/import.json")
        if "error" in info:
            error = StudentError.from_json(info["error"])
    except (OSError, UnsafeOutput, KeyError, TypeError) as exc:
        return f"the result of importing your module could not be read ({exc})", None
    if "error" in info:
        return f"importing your module raised {error.summary()}", error
    return None


def _syntax_error(module: Path, root: Path) -> StudentError | None:
    """Compile (never run) the module in the parent: a syntax error needs no sandbox."""
    source = module.read_bytes()
    rel = str(module.relative_to(root))
    try:
        compile(source, str(module), "exec", dont_inherit=True)
    except SyntaxError as exc:
        text = f"  {exc.text.rstrip()}\n" if exc.text else ""
        return StudentError("SyntaxError", exc.msg, f'  File "{rel}", line {exc.lineno}\n'
                            f"{text}SyntaxError: {exc.msg}\n", rel, exc.lineno)
    except ValueError as exc:  # e.g. null bytes in the source
        return StudentError("SyntaxError", str(exc), str(exc), rel)
    return None


def _error_checks(session: Session, check_ids: tuple[str, ...], message: str,
                  error: StudentError | None = None, status: CheckStatus = "error",
                  mistake: str | None = None) -> tuple[CheckResult, ...]:
    return tuple(
        CheckResult(id=c, title=session.rubric.check(c).title, status=status, score=0.0,
                    max_score=session.rubric.check(c).points,
                    visible=session.rubric.check(c).visible, message=message, error=error,
                    mistake=mistake)
        for c in check_ids)


def unusable(sub_id: str, session: Session, reason: str, started: float | None = None,
             error: StudentError | None = None, mistake: str | None = None, *,
             has_notebook: bool | None = None) -> SubmissionResult:
    """A result for a submission that could not be graded: every module check an error.

    The reason is said once, in the result's ``error``; each check only says it
    was not graded. The notebook checks say "No notebook" only when it is known
    there is none (``has_notebook=False``); otherwise they are errors with the
    same reason.
    """
    module_ids = needs.module_checks(session.rubric, session.check_ids)
    notebook_ids = needs.notebook_checks(session.rubric, session.check_ids)
    checks = _error_checks(session, module_ids, _NOT_GRADED if error is not None
                           else f"Not graded: {reason}", error, mistake=mistake)
    checks += (_no_notebook(session, notebook_ids) if has_notebook is False else
               _error_checks(session, notebook_ids, f"Not graded: {reason}"))
    return SubmissionResult(sub_id, "error", checks, reason,
                            {"total": round(time.monotonic() - started, 3)} if started else {},
                            {"rubric": session.rubric.name, ASSIGNMENT: session.rubric.kind}
                            ).bounded()
