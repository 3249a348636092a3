"""Name the known two-layer-net mistake behind each failing check, and the line it is on."""

from __future__ import annotations

from pathlib import Path

from ...checks.base import Evidence
from ...checks.diagnose import diagnose as name_mistakes
from ...checks.explain import explain
from ...results import CheckResult


def diagnose(results: tuple[CheckResult, ...], evidence: Evidence,
             module: Path | None) -> tuple[CheckResult, ...]:
    """The pack's ``diagnose`` hook: mistake ids, then messages that name them."""
    return explain(name_mistakes(results, evidence), evidence, module)
