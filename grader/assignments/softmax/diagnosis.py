"""Name the known Softmax mistake behind each failing check (the pack's ``diagnose`` hook).

For a failing check, what the student's code answered to the check's probes
is compared with what every mutant (the reference with one known mistake,
:mod:`.mutants`) answers to the same arguments, restricted to the mutants
whose mistake fails that check. A mutant's answers depend only on the plan,
so they are computed once per plan and process (on the first failure that
needs them) and cached. When several mistakes match, the one that explains
the most failing checks of the submission (and contradicts the fewest
passing ones, then the first declared) wins. A failing check no probe is
compared on (accuracy: training on the data set per mutant would be too
slow) takes a mistake named for another check that is known to fail it too.
The message then names the mistake and quotes the student's line
(:mod:`.lines`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from ...checks.base import Evidence, ProbeData
from ...diagnosis import Signature, matching, plan_key, resolve, run_once
from ...mistakes import Mistake
from ...results import CheckResult
from .lines import explain
from .mutants import RUNNERS, Answers, Mutants, mutants_for, run_mutant
from .wiring import output_of

logger = logging.getLogger(__name__)

COMPARED: dict[str, tuple[tuple[str, str], ...]] = {
    "loss_naive": (("softmax_naive", "loss"),),
    "grad_naive": (("softmax_naive", "dW"),),
    "loss_vectorized": (("softmax_vectorized", "loss"),),
    "grad_vectorized": (("softmax_vectorized", "dW"),),
    "consistency": (("softmax_naive", "loss"), ("softmax_naive", "dW"),
                    ("softmax_vectorized", "loss"), ("softmax_vectorized", "dW")),
    "stability": (("softmax_stability", "loss"), ("softmax_stability", "dW")),
    "predict": (("softmax_predict", "labels"),),
    "train": (("softmax_train", ""),),
}
"""Per check: the (probe, answer) pairs its verdict depends on; ``""`` is every answer.
The numerical gradients (``numeric_k``) only shape messages, so they are left out."""

_GROUPS = {"softmax_stability": ("naive", "vectorized")}


def diagnose(results: tuple[CheckResult, ...], evidence: Evidence,
             module: Path | None) -> tuple[CheckResult, ...]:
    """``results`` with a ``mistake`` id on each failing check a known mistake explains,
    and messages that name it and the student's line."""
    if all(r.status not in ("fail", "error") for r in results):
        return results
    try:
        mutants = mutants_for(evidence.rubric)
        named = _name(results, evidence, mutants) if mutants else results
    except Exception:  # a broken library must never cost a verdict
        logger.exception("naming the mistakes failed")
        mutants, named = None, results
    try:
        return explain(named, mutants, evidence.rubric, module)
    except Exception:
        logger.exception("quoting the student's lines failed")
        return named


def _name(results: tuple[CheckResult, ...], ev: Evidence,
          mutants: Mutants) -> tuple[CheckResult, ...]:
    failing = [r.id for r in results if r.status in ("fail", "error")]
    candidates = {check: _matches(check, mutants, ev) for check in failing}
    passing = {r.id for r in results if r.status == "pass"}
    messages = {r.id: r.message for r in results}
    chosen = resolve(candidates, passing, mutants.mistakes, messages)
    return tuple(replace(r, mistake=chosen[r.id]) if r.id in chosen else r for r in results)


def _matches(check: str, mutants: Mutants, ev: Evidence) -> list[Mistake]:
    parts = COMPARED.get(check)
    if not parts or any(probe not in ev.probes for probe, _ in parts):
        return []
    student = signature(parts, {probe: _answers(ev.probes[probe], probe) for probe, _ in parts})
    if not student:
        return []

    def mutant_signature(mistake: Mistake) -> Signature | None:
        answers = {probe: _mutant_answers(mutants, mistake.id, probe, ev) for probe, _ in parts}
        return signature(parts, answers) if all(a is not None for a in answers.values()) else None

    return matching(mutants, check, student, mutant_signature, same_answer)


def _answers(data: ProbeData, probe: str) -> Answers | None:
    """The student's answers, as the probe returned them in the child (None: it did not finish)."""
    if data.outcome.state != "done" or isinstance(data.info.get("probe_error"), Mapping):
        return None
    return {group: output_of(data, group) for group in _GROUPS.get(probe, ("out",))}


# --- the mutants' answers, once per plan ----------------------------------------------------

_cache: dict[tuple[str, str, str], Answers | None] = {}


def _mutant_answers(mutants: Mutants, mistake_id: str, probe: str,
                    ev: Evidence) -> Answers | None:
    if probe not in RUNNERS:
        return None
    return run_once(_cache, (plan_key(ev), mistake_id, probe), lambda: run_mutant(
        mutants.modules[mistake_id], probe, next(p.args for p in ev.plan.probes
                                                 if p.kind == probe), ev.reference))


# --- signatures -------------------------------------------------------------------------------

def signature(parts: tuple[tuple[str, str], ...],
              answers: Mapping[str, Answers | None]) -> Signature:
    """What a check's verdict depends on: per probe and group, the answers or the error raised.

    Empty when a probe did not finish (nothing to compare)."""
    sig: Signature = {}
    for probe, name in parts:
        found = answers.get(probe)
        if found is None:
            return {}
        for group, out in found.items():
            if "error" in out:
                sig[f"{probe}.{group}.error"] = str(out["error"]).split(":")[0]
                continue
            pattern = re.compile(rf"{name}_\d+$" if name else r".+")
            for key, value in out.items():
                if pattern.fullmatch(key):
                    sig[f"{probe}.{group}.{key}"] = value
    return sig


def same_answer(x: Any, y: Any) -> bool:
    """Two answers agree (numbers to within rounding; lists of minibatches alike)."""
    if x is None or y is None or isinstance(x, str) or isinstance(y, str):
        return x is y or x == y
    try:
        with np.errstate(all="ignore"):
            u, v = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):  # ragged lists (minibatches of different sizes)
        return bool(x == y)
    if u.shape != v.shape:
        return False
    # nan or inf: the same overflow, reached by another order of operations
    u = np.where(np.isfinite(u), u, np.nan)
    v = np.where(np.isfinite(v), v, np.nan)
    return bool(np.allclose(u, v, rtol=1e-6, atol=1e-9, equal_nan=True))
