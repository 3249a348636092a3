"""Name the known mistake behind each failing check, by running mutated references.

For a failing check, the outputs the student's code gave on the check's
inputs are compared with those of every mutated reference (reference + one
known mistake, from the assignment's library) that fails that check. A
mutant's outputs depend only on the plan, so they are computed once per plan
(on the first failure that needs them) and cached; a failing submission then
costs a few array comparisons. When several mistakes match, the one that
explains the most failing checks of the submission (and contradicts the
fewest passing ones) wins. A failing check no mutant is compared on takes the
mistake found for another check, when that mistake is known to fail it too.

The pack says how its mutants run and what a check's outcome depends on
(:class:`Mutants`); its ``diagnose`` hook calls :func:`name_mistakes`. A pack
whose checks compare several probes at once (the Softmax classifier's
``consistency``) builds its own signatures and uses the parts:
:func:`matching`, :func:`resolve`, :func:`run_once` and :func:`plan_key`.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import warnings
from dataclasses import dataclass, replace
from typing import Any, Callable, Mapping, TypeVar

import numpy as np

from .checks.base import Evidence, ProbeData
from .mistakes import Library, Mistake, library_for
from .needs import probe_of
from .plan import Plan
from .results import CheckResult

Signature = dict[str, Any]
"""What a check's outcome depends on: per case, the values or the error raised."""

MutantOutput = Callable[[str], "ProbeData | None"]
"""The output of the mistake's mutant for a probe kind (None: the mutant could not run)."""


@dataclass(frozen=True)
class Mutants:
    """How an assignment pack runs its mutated references and reads a check's outcome."""

    kinds: frozenset[str]
    """The probe kinds a mutant can be run for (checks of other probes are never compared)."""
    run: Callable[[str, Any, Evidence], ProbeData]
    """``run(kind, mutant_module, evidence)``: the mutant's output for probe ``kind``, shaped
    as the child's would be (raising is a mutant that could not run)."""
    signature: Callable[[str, ProbeData, Plan], Signature]
    """``signature(check_id, probe_data, plan)``: what the check's outcome depends on."""
    worth_running: Callable[[str, Signature, MutantOutput, Evidence], bool] | None = None
    """``worth_running(kind, student_signature, mutant_output, evidence)``: a cheap test
    (a part of the probe, through ``mutant_output``) before the whole probe is run."""


_cache: dict[tuple[str, str, str], ProbeData | None] = {}
_lock = threading.Lock()
_run_lock = threading.Lock()


def name_mistakes(results: tuple[CheckResult, ...], ev: Evidence,
                  mutants: Mutants) -> tuple[CheckResult, ...]:
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
    candidates = {r.id: _matches(r.id, library, ev, mutants) for r in failing}
    chosen = resolve(candidates, {r.id for r in results if r.status == "pass"},
                     library.mistakes)
    return tuple(replace(r, mistake=chosen[r.id]) if r.id in chosen else r for r in results)


def _matches(check_id: str, library: Library[Any], ev: Evidence,
             mutants: Mutants) -> list[Mistake]:
    kind = probe_of(ev.rubric, check_id)
    if kind not in mutants.kinds or kind not in ev.probes:
        return []
    student = mutants.signature(check_id, ev.probes[kind], ev.plan)
    if not student:
        return []

    def mutant_signature(mistake: Mistake) -> Signature | None:
        def output(of: str) -> ProbeData | None:
            return _mutant_output(library, mistake.id, of, ev, mutants)

        if mutants.worth_running is not None and not mutants.worth_running(
                kind, student, output, ev):
            return None
        mutant = output(kind)
        return None if mutant is None else mutants.signature(check_id, mutant, ev.plan)

    return matching(library, check_id, student, mutant_signature)


def matching(library: Library[Any], check_id: str, student: Signature,
             mutant_signature: Callable[[Mistake], Signature | None],
             value: Callable[[Any, Any], bool] | None = None) -> list[Mistake]:
    """The mistakes declared to fail ``check_id`` whose mutant gives the ``student``'s
    signature (``mutant_signature``: None when the mutant could not run)."""
    found = []
    for mistake in library.mistakes:
        if check_id not in mistake.compared or mistake.id not in library.modules:
            continue
        theirs = mutant_signature(mistake)
        if theirs is not None and same(student, theirs, value):
            found.append(mistake)
    return found


def resolve(candidates: Mapping[str, list[Mistake]], passing: set[str],
            mistakes: tuple[Mistake, ...],
            messages: Mapping[str, str] | None = None) -> dict[str, str]:
    """One mistake per failing check: the most explaining, least contradicted, first declared.

    A check without candidates takes a named mistake that declares it; given the checks'
    ``messages``, preferably one whose method its message names (the student's exception
    says where it was raised)."""
    order = {m.id: k for k, m in enumerate(mistakes)}
    explains: dict[str, int] = {}
    for found in candidates.values():
        for mistake in found:
            explains[mistake.id] = explains.get(mistake.id, 0) + 1

    def rank(m: Mistake) -> tuple[int, int, int]:
        return (-explains[m.id], len(set(m.checks) & passing), order[m.id])

    chosen = {check: min(found, key=rank).id for check, found in candidates.items() if found}
    named = sorted(set(chosen.values()), key=lambda i: order[i])
    for check in candidates:
        declaring = [mistakes[order[i]] for i in named if check in mistakes[order[i]].checks]
        if check in chosen or not declaring:
            continue
        message = (messages or {}).get(check, "")
        chosen[check] = next((m.id for m in declaring
                              if m.method and re.search(rf"\b{m.method}\b", message)),
                             declaring[0].id)
    return chosen


def plan_key(ev: Evidence) -> str:
    """What a mutant's outputs depend on: the assignment, its reference and the plan."""
    if "plan_key" not in ev.memo:
        text = json.dumps([[p.kind, p.args] for p in ev.plan.probes], sort_keys=True,
                          default=str)
        r = ev.rubric
        key = f"{r.kind}|{r.path}|{r.reference}|{r.seed}|{r.reg_scale}|{text}"
        ev.memo["plan_key"] = hashlib.sha256(key.encode()).hexdigest()
    found: str = ev.memo["plan_key"]
    return found


Output = TypeVar("Output")


def run_once(cache: dict[tuple[str, str, str], Output | None], key: tuple[str, str, str],
             run: Callable[[], Output]) -> Output | None:
    """``cache[key]``, computed by ``run()`` on first use (None when it raised).

    One mutant runs at a time: each runs once per plan and process, and the warnings
    filter (np.matrix warns; a mistake's overflow must not become an error) is global."""
    with _lock:
        if key in cache:
            return cache[key]
    with _run_lock:
        with _lock:
            if key in cache:
                return cache[key]
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                data: Output | None = run()
        except Exception:
            data = None
        with _lock:
            cache[key] = data
    return data


def _mutant_output(library: Library[Any], mistake_id: str, kind: str, ev: Evidence,
                   mutants: Mutants) -> ProbeData | None:
    return run_once(_cache, (plan_key(ev), mistake_id, kind),
                    lambda: mutants.run(kind, library.modules[mistake_id], ev))


def per_case(data: ProbeData, names: list[str], keys: list[str],
             with_type: bool = False) -> Signature:
    """Per case: the error type it raised, or its arrays ``keys`` (and their types)."""
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


def same(a: Signature, b: Signature, value: Callable[[Any, Any], bool] | None = None) -> bool:
    """Equal keys, and equal values by ``value`` (default :func:`same_value`: equal errors,
    arrays equal to within rounding)."""
    if a.keys() != b.keys():
        return False
    return all((value or same_value)(a[k], b[k]) for k in a)


def same_value(x: Any, y: Any) -> bool:
    """Two values of a signature agree (arrays to within rounding, nan and inf alike)."""
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
