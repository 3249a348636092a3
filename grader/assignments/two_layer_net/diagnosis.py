"""Name the known two-layer-net mistake behind each failing check, and the line it is on.

What each check's outcome depends on (its signature, read alike from a
student's probe and from a mutant's run, :mod:`.mutants`), and per check
the line most likely at fault when no mistake is named. The matching itself
is the core's (:mod:`grader.diagnosis`, :mod:`grader.explain`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from ...checks.base import Evidence, ProbeData
from ...diagnosis import Mutants, MutantOutput, Signature, name_mistakes, per_case, same_value
from ...explain import explain
from ...plan import Plan
from ...results import CheckResult
from .mutants import RUNNERS, run_mutant
from .outputs import PARAMS

CHECK_LINES: dict[str, tuple[str, str]] = {
    "init": ("__init__", r"randn"),
    "scores": ("loss", r"scores\s*="),
    "loss": ("loss", r"\bloss\s*="),
    **{f"grad_{p}": ("loss", rf"""grads\[['"]{p}['"]\]\s*=""") for p in PARAMS},
    "stability": ("loss", r"exp\("),
    "train": ("train", r"self\.loss\("),
    "predict": ("predict", r"argmax"),
}
"""Per check, when no mistake is named: the method and the line most likely at fault."""


def diagnose(results: tuple[CheckResult, ...], evidence: Evidence,
             module: Path | None) -> tuple[CheckResult, ...]:
    """The pack's ``diagnose`` hook: mistake ids, then messages that name them."""
    return explain(name_mistakes(results, evidence, MUTANTS), evidence, module, CHECK_LINES)


def signature(check_id: str, data: ProbeData, plan: Plan) -> Signature:
    """What a check's outcome depends on: per case, the values or the error raised."""
    kind = plan.probe_of[check_id]
    args = next(p.args for p in plan.probes if p.kind == kind)
    if kind == "init":
        return per_case(data, [c["name"] for c in args["cases"]], list(PARAMS))
    if kind == "forward":
        return per_case(data, list(args["cases"]), ["scores"])
    if kind == "predict":
        return per_case(data, list(args["cases"]), ["labels"])
    if kind == "stability":
        return per_case(data, ["plain", "shifted"], ["loss"])
    if kind == "loss":
        names = [c["name"] for c in args["cases"] if not c.get("numeric")]
        if check_id == "loss":
            return per_case(data, names, ["loss"])
        return per_case(data, names, [f"d{check_id.removeprefix('grad_')}"], with_type=True)
    return _train_signature(data, [r["name"] for r in args["runs"]])


_TRAIN_ARRAYS = ("batch_sizes", "regs", "rates", "labels_match")


def _train_signature(data: ProbeData, runs: list[str]) -> Signature:
    sig: Signature = {}
    for name in runs:
        case = data.case(name)
        error = data.error(name)
        sig[f"{name}.error"] = error.type if error else None
        sig[f"{name}.loss_calls"] = int(case.get("loss_calls", 0))
        stats = case.get("stats", {})
        sig[f"{name}.stats"] = tuple(stats.get("keys", ())) if isinstance(stats, Mapping) else ()
        for key in _TRAIN_ARRAYS:
            sig[f"{name}.{key}"] = data.arrays.get(f"{name}.{key}")
    return sig


def _worth_running(kind: str, student: Signature, mutant_output: MutantOutput,
                   ev: Evidence) -> bool:
    """For the train probe: whether the mutant matches on the plan's shortest training run;
    only then are the others (most of a mutant's training time) worth running."""
    if kind != "train":
        return True
    runs: list[Any] = next(p.args for p in ev.plan.probes if p.kind == "train")["runs"]
    short = min(runs, key=lambda run: run["kwargs"]["num_iters"])["name"]
    mutant = mutant_output(f"train:{short}")
    if mutant is None:
        return True
    ours = signature("train", mutant, ev.plan)
    keys = [k for k in ours if k.startswith(f"{short}.")]
    return all(k in student and same_value(student[k], ours[k]) for k in keys)


MUTANTS = Mutants(frozenset(RUNNERS), run_mutant, signature, _worth_running)
"""How the two-layer net's mutants run, and what each check is compared on."""
