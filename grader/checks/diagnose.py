"""Name the known mistake behind each failing check.

For a failing check, the outputs the student's code gave on the check's
inputs are compared with those of every mutated reference (reference + one
known mistake, from the assignment's library) that fails that check. A
mutant's outputs depend only on the plan, so they are computed once per plan
(on the first failure that needs them) and cached; a failing submission then
costs a few array comparisons. When
several mistakes match, the one that explains the most failing checks of the
submission (and contradicts the fewest passing ones) wins. A failing check no
mutant is compared on (accuracy) takes the mistake found for another check,
when that mistake is known to fail it too.
"""

from __future__ import annotations

import hashlib
import json
import threading
import warnings
from dataclasses import replace
from typing import Any, Mapping

import numpy as np

from ..assignments.two_layer_net.outputs import PARAMS
from ..mistakes import Library, Mistake, library_for
from ..plan import Plan
from ..needs import probe_of
from ..results import CheckResult
from .base import Evidence, ProbeData
from .mutants import RUNNERS, run_mutant

Signature = dict[str, Any]

_cache: dict[tuple[str, str, str], ProbeData | None] = {}
_lock = threading.Lock()
_run_lock = threading.Lock()


def diagnose(results: tuple[CheckResult, ...], ev: Evidence) -> tuple[CheckResult, ...]:
    """``results`` with a ``mistake`` id on each failing check a known mistake explains."""
    failing = [r for r in results if r.status in ("fail", "error")]
    if not failing:
        return results
    try:
        library = library_for(ev.rubric)
    except Exception:  # a broken library must never cost a verdict
        return results
    if library is None:
        return results
    candidates = {r.id: _matches(r.id, library, ev) for r in failing}
    chosen = _resolve(candidates, {r.id for r in results if r.status == "pass"}, library)
    return tuple(replace(r, mistake=chosen[r.id]) if r.id in chosen else r for r in results)


def _matches(check_id: str, library: Library, ev: Evidence) -> list[Mistake]:
    kind = probe_of(ev.rubric, check_id)
    if kind not in RUNNERS or kind not in ev.probes:
        return []
    student = signature(check_id, ev.probes[kind], ev.plan)
    if not student:
        return []
    found = []
    for mistake in library.mistakes:
        if check_id not in mistake.compared or mistake.id not in library.modules:
            continue
        if kind == "train" and not _train_prefilter(student, library, mistake.id, ev):
            continue
        mutant = _mutant_output(library, mistake.id, kind, ev)
        if mutant is not None and same(student, signature(check_id, mutant, ev.plan)):
            found.append(mistake)
    return found


def _train_prefilter(student: Signature, library: Library, mistake_id: str,
                     ev: Evidence) -> bool:
    """Whether the mutant matches on the plan's shortest training run: only then are
    the others (most of a mutant's training time) worth running."""
    runs = next(p.args for p in ev.plan.probes if p.kind == "train")["runs"]
    short = min(runs, key=lambda run: run["kwargs"]["num_iters"])["name"]
    mutant = _mutant_output(library, mistake_id, f"train:{short}", ev)
    if mutant is None:
        return True
    ours = signature("train", mutant, ev.plan)
    keys = [k for k in ours if k.startswith(f"{short}.")]
    return all(k in student and _same_value(student[k], ours[k]) for k in keys)


def _resolve(candidates: Mapping[str, list[Mistake]], passing: set[str],
             library: Library) -> dict[str, str]:
    """One mistake per failing check: the most explaining, least contradicted, first declared."""
    order = {m.id: k for k, m in enumerate(library.mistakes)}
    explains: dict[str, int] = {}
    for found in candidates.values():
        for mistake in found:
            explains[mistake.id] = explains.get(mistake.id, 0) + 1

    def rank(m: Mistake) -> tuple[int, int, int]:
        return (-explains[m.id], len(set(m.checks) & passing), order[m.id])

    chosen = {check: min(found, key=rank).id for check, found in candidates.items() if found}
    named = sorted({chosen[c] for c in chosen}, key=lambda i: order[i])
    for check, found in candidates.items():
        if check in chosen:
            continue
        carried = next((i for i in named if check in library.mistakes[order[i]].checks), None)
        if carried is not None:
            chosen[check] = carried
    return chosen


def _plan_key(ev: Evidence) -> str:
    text = json.dumps([[p.kind, p.args] for p in ev.plan.probes], sort_keys=True, default=str)
    key = f"{ev.rubric.path}|{ev.rubric.reference}|{ev.rubric.seed}|{ev.rubric.reg_scale}|{text}"
    return hashlib.sha256(key.encode()).hexdigest()


def _key_of(ev: Evidence) -> str:
    if "plan_key" not in ev.memo:
        ev.memo["plan_key"] = _plan_key(ev)
    key: str = ev.memo["plan_key"]
    return key


def _mutant_output(library: Library, mistake_id: str, kind: str, ev: Evidence
                   ) -> ProbeData | None:
    key = (_key_of(ev), mistake_id, kind)
    with _lock:
        if key in _cache:
            return _cache[key]
    # One mutant run at a time: each runs once per plan and process, and the warnings
    # filter (np.matrix warns; a mistake's warning must not become an error) is global.
    with _run_lock:
        if key in _cache:
            return _cache[key]
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                data: ProbeData | None = run_mutant(kind, library.modules[mistake_id],
                                                    ev.plan, ev.reference)
        except Exception:
            data = None
        with _lock:
            _cache[key] = data
    return data


def signature(check_id: str, data: ProbeData, plan: Plan) -> Signature:
    """What a check's outcome depends on: per case, the values or the error raised."""
    kind = plan.probe_of[check_id]
    args = next(p.args for p in plan.probes if p.kind == kind)
    if kind == "init":
        return _per_case(data, [c["name"] for c in args["cases"]], list(PARAMS))
    if kind == "forward":
        return _per_case(data, list(args["cases"]), ["scores"])
    if kind == "predict":
        return _per_case(data, list(args["cases"]), ["labels"])
    if kind == "stability":
        return _per_case(data, ["plain", "shifted"], ["loss"])
    if kind == "loss":
        names = [c["name"] for c in args["cases"] if not c.get("numeric")]
        if check_id == "loss":
            return _per_case(data, names, ["loss"])
        return _per_case(data, names, [f"d{check_id.removeprefix('grad_')}"], with_type=True)
    return _train_signature(data, [r["name"] for r in args["runs"]])


def _per_case(data: ProbeData, names: list[str], keys: list[str],
              with_type: bool = False) -> Signature:
    sig: Signature = {}
    for name in names:
        error = data.error(name)
        if error is not None:
            sig[f"{name}.error"] = error.type
            continue
        for key in keys:
            value = data.arrays.get(f"{name}.{key}")
            sig[f"{name}.{key}"] = value
            if with_type:
                sig[f"{name}.{key}.type"] = data.returned(name, key).get("type")
    return sig


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


def same(a: Signature, b: Signature) -> bool:
    """Equal keys, equal errors, and arrays equal to within rounding."""
    if a.keys() != b.keys():
        return False
    return all(_same_value(a[k], b[k]) for k in a)


def _same_value(x: Any, y: Any) -> bool:
    if isinstance(x, np.ndarray) or isinstance(y, np.ndarray):
        if not (isinstance(x, np.ndarray) and isinstance(y, np.ndarray)):
            return False
        if x.shape != y.shape:
            return False
        with np.errstate(all="ignore"):
            # nan or inf: the same overflow, reached by another order of operations
            x = np.where(np.isfinite(x), x, np.nan)
            y = np.where(np.isfinite(y), y, np.nan)
            return bool(np.allclose(x, y, rtol=1e-6, atol=1e-9, equal_nan=True))
    return bool(x == y)
