"""Parent side of the Softmax pack: probe arguments, the reference, and judge adapters.

The probes' inputs are drawn from the rubric seed (:mod:`.cases`) in the
child and again here, where the reference (trusted, loaded from its two
files by :mod:`.modules`) answers the same questions in process. Each
``judge_*`` reads a probe's output back into the plain dict of
:mod:`.probes` and hands it to :mod:`.judges`.
"""

from __future__ import annotations

import ast
import threading
from types import ModuleType
from typing import Any, Mapping

import numpy as np

from ...checks.base import Evidence, ProbeData, Verdict, errored, failed
from ...checks.notebook import NotebookEvidence
from ...rubric import CheckSpec, Rubric
from . import cases as C
from . import judges as J
from . import judges_train as JT
from . import probes as P
from .modules import load_sources
from .sandboxed import with_bias

Args = dict[str, Any]
SETTING_KEYS = ("learning_rate", "reg", "num_iters", "batch_size")
"""The data set's settings passed to ``train`` by the accuracy check."""

# --- the reference ---------------------------------------------------------------------


def load_reference(rubric: Rubric) -> ModuleType:
    """The reference's two files (``[assignment] modules``, beside ``reference``) as one
    namespace with ``softmax`` and ``linear_classifier``."""
    folder = rubric.reference.parent
    files = rubric.modules or (rubric.reference.name,)
    mods = load_sources({name: (folder / name).read_text(encoding="utf-8") for name in files},
                        rubric.reg_scale)
    namespace = ModuleType("_grader_softmax_reference")
    namespace.softmax = mods.softmax  # type: ignore[attr-defined]
    namespace.linear_classifier = mods.linear_classifier  # type: ignore[attr-defined]
    return namespace


_KEPT = "softmax_loss_vectorized"


def stand_in_source(source: str) -> str:
    """The reference ``softmax.py`` cut down to its imports, constants and the vectorized
    loss: the train probe's ``loss`` answers with it, and no other solution reaches the child."""
    tree = ast.parse(source)
    tree.body = [node for node in tree.body
                 if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                 or node.name == _KEPT]
    return ast.unparse(tree)


def plan_cases(rubric: Rubric) -> dict[str, Any]:
    """No input arrays: both sides draw the cases from the rubric seed."""
    return {}


# --- probe arguments (parent side) -------------------------------------------------------


def _opts(rubric: Rubric, check: str) -> Mapping[str, Any]:
    return rubric.check(check).options if rubric.has(check) else {}


def own_specs(rubric: Rubric, check: str) -> list[C.Spec]:
    """The cases of loss check ``check``: its own ``hidden_cases`` per reg of its ``regs``."""
    opts = _opts(rubric, check)
    return C.loss_specs(int(opts.get("hidden_cases", 2)),
                        [float(r) for r in opts.get("regs", [0.05, 0.0])])


def naive_args(rubric: Rubric, served: list[str], cases: Any, acc: Mapping[str, Any]) -> Args:
    return {"seed": rubric.seed, "cases": own_specs(rubric, "loss_naive")}


def vectorized_args(rubric: Rubric, served: list[str], cases: Any,
                    acc: Mapping[str, Any]) -> Args:
    """Its own cases, and for the consistency check (served by this probe) every naive
    case it is not asked anyway: the two probes then share the naive probe's cases."""
    specs = own_specs(rubric, "loss_vectorized")
    if "consistency" in served:
        specs = C.with_common(specs, own_specs(rubric, "loss_naive"))
    return {"seed": rubric.seed, "cases": specs}


def stability_args(rubric: Rubric, served: list[str], cases: Any,
                   acc: Mapping[str, Any]) -> Args:
    return {"seed": rubric.seed, "shift": float(_opts(rubric, "stability")["shift"])}


def predict_args(rubric: Rubric, served: list[str], cases: Any, acc: Mapping[str, Any]) -> Args:
    return {"seed": rubric.seed, "count": int(_opts(rubric, "predict")["hidden_cases"])}


def train_args(rubric: Rubric, served: list[str], cases: Any, acc: Mapping[str, Any]) -> Args:
    opts = _opts(rubric, "train")
    return {"seed": rubric.seed, **{k: opts[k] for k in SETTING_KEYS}}


def accuracy_args(rubric: Rubric, served: list[str], cases: Any,
                  acc: Mapping[str, Any]) -> Args:
    hyper = acc["hyperparameters"]
    return {"seed": rubric.seed, "settings": {k: hyper[k] for k in SETTING_KEYS if k in hyper}}


# --- reading the outputs back ------------------------------------------------------------


def output_of(data: ProbeData, group: str = "out") -> dict[str, Any]:
    """A probe's output as the dict :mod:`.probes` returned in the child."""
    found = dict(data.case(group))
    for key, array in data.arrays.items():
        case, _, name = key.rpartition(".")
        if case == group:
            found[name] = float(array) if array.ndim == 0 else array
    return found


_cache: dict[tuple[Any, ...], dict[str, Any]] = {}
_lock = threading.Lock()


def _args_of(ev: Evidence, probe: str) -> Mapping[str, Any] | None:
    """The arguments the plan gave probe ``probe`` (None: not planned)."""
    return next((p.args for p in ev.plan.probes if p.kind == probe), None)


def _reference_output(ev: Evidence, probe: str) -> dict[str, Any]:
    """The reference's answers to the questions of ``probe`` (once per process and plan)."""
    rubric, ref = ev.rubric, ev.reference
    args = _args_of(ev, probe) or {}
    key = (str(rubric.path), rubric.seed, rubric.reg_scale, probe, repr(args), id(ref))
    with _lock:
        if key not in _cache:
            if probe == "softmax_predict":
                cases_p = C.predict_cases(rubric.seed, int(args["count"]))
                _cache[key] = P.probe_predict(ref.linear_classifier.Softmax, cases_p)
            else:
                fn = getattr(ref.softmax, f"softmax_loss_{probe.removeprefix('softmax_')}")
                _cache[key] = P.probe_loss(fn, C.cases_for(args))
        return _cache[key]


def _verdict(found: J.Verdict) -> Verdict:
    message = found.message[:1].upper() + found.message[1:]
    if message and not message.endswith("."):
        message += "."
    return Verdict(found.status, message, dict(found.metrics))


def _tol(spec: CheckSpec) -> float:
    return float(spec.options["tolerance"])


def _own(data: ProbeData, ev: Evidence, group: str, check: str
         ) -> tuple[J.Output, J.Output, tuple[C.LossCase, ...]]:
    """The student's and the reference's answers to loss check ``check``'s own cases, out of
    all the cases its probe answered, and those cases."""
    probe = f"softmax_{group}"
    order = C.specs_of(_args_of(ev, probe) or {"cases": []})
    wanted = own_specs(ev.rubric, check)
    return (J.select(output_of(data), order, wanted),
            J.select(_reference_output(ev, probe), order, wanted),
            C.cases_of(ev.rubric.seed, wanted))


# --- judges ---------------------------------------------------------------------------------


def _judge_loss(spec: CheckSpec, data: ProbeData, ev: Evidence, group: str) -> Verdict:
    student, reference, cases = _own(data, ev, group, f"loss_{group}")
    return _verdict(J.judge_loss(student, reference, cases, _tol(spec), ev.rubric.reg_scale))


def _judge_grad(spec: CheckSpec, data: ProbeData, ev: Evidence, group: str) -> Verdict:
    # the gradient checks have no cases of their own: they read their loss check's
    student, reference, cases = _own(data, ev, group, f"loss_{group}")
    return _verdict(J.judge_grad(student, reference, cases, _tol(spec), ev.rubric.reg_scale))


def judge_loss_naive(spec: CheckSpec, data: ProbeData, ev: Evidence) -> Verdict:
    return _judge_loss(spec, data, ev, "naive")


def judge_loss_vectorized(spec: CheckSpec, data: ProbeData, ev: Evidence) -> Verdict:
    return _judge_loss(spec, data, ev, "vectorized")


def judge_grad_naive(spec: CheckSpec, data: ProbeData, ev: Evidence) -> Verdict:
    return _judge_grad(spec, data, ev, "naive")


def judge_grad_vectorized(spec: CheckSpec, data: ProbeData, ev: Evidence) -> Verdict:
    return _judge_grad(spec, data, ev, "vectorized")


def judge_consistency(spec: CheckSpec, data: ProbeData, ev: Evidence) -> Verdict:
    """Naive and vectorized on the naive probe's cases (the vectorized probe answers them too)."""
    naive = ev.probes.get("softmax_naive")
    naive_args, vectorized_args = _args_of(ev, "softmax_naive"), _args_of(ev, "softmax_vectorized")
    if naive is None or naive.outcome.state != "done" or not naive_args or not vectorized_args:
        return errored("The naive loss did not run, so there is nothing to compare.", None)
    common = C.specs_of(naive_args)
    vectorized = J.select(output_of(data), C.specs_of(vectorized_args), common)
    return _verdict(J.judge_consistency(output_of(naive), vectorized,
                                        C.cases_of(ev.rubric.seed, common), _tol(spec)))


def judge_stability(spec: CheckSpec, data: ProbeData, ev: Evidence) -> Verdict:
    return _verdict(J.judge_stability(output_of(data, "naive"), output_of(data, "vectorized"),
                                      _tol(spec)))


def judge_predict(spec: CheckSpec, data: ProbeData, ev: Evidence) -> Verdict:
    count = int(spec.options["hidden_cases"])
    return _verdict(J.judge_predict(output_of(data), _reference_output(ev, "softmax_predict"),
                                    count))


def judge_train(spec: CheckSpec, data: ProbeData, ev: Evidence) -> Verdict:
    opts = spec.options
    case = C.train_case(ev.rubric.seed, float(opts["learning_rate"]), float(opts["reg"]),
                        int(opts["num_iters"]), int(opts["batch_size"]))
    return _verdict(JT.judge_train(output_of(data), case))


def judge_accuracy(spec: CheckSpec, data: ProbeData, ev: Evidence) -> Verdict:
    if ev.dataset is None or ev.accuracy is None:
        return errored("The grader has no data set to train on.", None)
    found = output_of(data)
    labels = found.pop("labels", None)
    if "error" not in found:
        right = labels is not None and np.shape(labels) == ev.dataset.y_val.shape
        found["accuracy"] = float(np.mean(labels == ev.dataset.y_val)) if right else 0.0
        if labels is not None and not right:
            found.setdefault("predict_shape", list(np.shape(labels)))
    verdict = _verdict(JT.judge_accuracy(found, ev.accuracy.threshold))
    return Verdict(verdict.status, verdict.message,
                   {**verdict.metrics, "dataset": ev.dataset.name}, verdict.error)


def judge_best_softmax(spec: CheckSpec, ev: NotebookEvidence) -> Verdict:
    """The notebook's tuned classifier: its weights ``W`` scored by the grader on the
    validation rows (bias column appended)."""
    if ev.run.problem:
        return failed(f"The notebook could not be run, so {ev.variable} could not be "
                      "evaluated.", {})
    if ev.data is None:
        return errored("The grader has no data set to evaluate the tuned classifier on.", None)
    W = (ev.run.weights or {}).get("W")
    if W is None:
        return failed(f"{ev.variable} has no weights W after the notebook ran (is it defined "
                      "and trained?).", {"extract": dict(ev.run.extract)})
    dataset = ev.data.dataset
    threshold = ev.data.settings.threshold
    verdict = _verdict(JT.judge_best({"W": W}, with_bias(dataset.X_val), dataset.y_val,
                                     threshold))
    message = verdict.message or (f"{ev.variable} reaches {verdict.metrics['accuracy']:.3f} "
                                  f"validation accuracy on {dataset.name} (needs {threshold:.2f}).")
    return Verdict(verdict.status, message,
                   {**verdict.metrics, "dataset": dataset.name}, verdict.error)
