#!/usr/bin/env python
"""Where one grader run spends its time: a timeline of the parent and its child.

    python benchmarks/timeline.py check grader/assignments/two_layer_net/reference/neural_net.py [grader options]
    python benchmarks/timeline.py grade SUBMISSIONS --out DIR [grader options]

Runs the real command line in this process with a few grader functions wrapped
(nothing in grader/ is changed) and prints, on stderr, when each step started
and ended: the parent's imports, copying the submission, starting the child,
each status line the child sends (``begin``/``end`` of the import and of each
probe), the child's exit, reading its output, each check's judging, writing
results. Wrapped functions that no longer exist are skipped.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any, Callable

T0 = time.monotonic()
MARKS: list[tuple[float, str, str]] = []


def mark(label: str) -> None:
    MARKS.append((time.monotonic() - T0, threading.current_thread().name, label))


def wrap(module: Any, name: str, label: str | None = None) -> None:
    """Mark the start and end of ``module.name`` (if it exists)."""
    fn = getattr(module, name, None)
    if fn is None or getattr(fn, "_timeline", False):
        return

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        mark(f"{label or name} start")
        try:
            return fn(*args, **kwargs)
        finally:
            mark(f"{label or name} end")

    wrapped._timeline = True  # type: ignore[attr-defined]
    setattr(module, name, wrapped)


def instrument(command: str) -> None:
    """Wrap the grader's steps; modules that ``command`` would not import on its own
    (numpy-based ones, the batch reporters for ``check``) only once it imports them."""
    import importlib

    from grader import pipeline, sandbox, session

    run_cls = sandbox._Run
    spawn, status, finish = run_cls._spawn, run_cls._status, run_cls.finish

    def timed_spawn(self: Any) -> Any:
        mark(f"spawn child (from probe {self.first})")
        return spawn(self)

    def timed_status(self: Any, data: bytes) -> bytes:
        for line in data.split(b"\n")[:-1]:
            mark(f"  child says: {line.decode('utf-8', 'replace')}")
        return status(self, data)

    def timed_finish(self: Any) -> int:
        mark("send 'go' to the child")
        try:
            return finish(self)
        finally:
            mark("child exited and reaped")

    for name, fn in (("_spawn", timed_spawn), ("_status", timed_status), ("finish", timed_finish)):
        setattr(run_cls, name, fn)
    for name in ("load_submission", "_syntax_error", "_notebook_part", "_probe_data",
                 "_save_first_layer"):
        wrap(pipeline, name)
    wrap(session, "_prepare", "load + write data set")
    if command != "check":
        batch = importlib.import_module("grader.batch")
        for name in ("write_result", "write_summary"):
            wrap(batch, name)

    judge = getattr(pipeline, "_judge_module", None) or getattr(pipeline, "_run_and_judge")
    judge_name = judge.__name__

    def timed_judge(*args: Any, **kwargs: Any) -> Any:
        mark(f"{judge_name} start (imports numpy, checks, probe)")
        import grader.checks as checks
        import grader.plan as probe
        import grader.reference as reference

        mark("  numpy-side imports done")
        wrap(probe, "build_plan")
        wrap(reference, "load_reference")
        if not getattr(checks.run_check, "_timeline", False):
            run_check: Callable[..., Any] = checks.run_check

            def timed_check(spec: Any, data: Any, evidence: Any) -> Any:
                started = time.monotonic()
                try:
                    return run_check(spec, data, evidence)
                finally:
                    mark(f"  judged {spec.id} in {1000 * (time.monotonic() - started):.1f} ms")

            timed_check._timeline = True  # type: ignore[attr-defined]
            checks.run_check = timed_check
        try:
            return judge(*args, **kwargs)
        finally:
            mark(f"{judge_name} end")

    setattr(pipeline, judge_name, timed_judge)


def main() -> int:
    import grader.cli

    mark("parent imports done (grader.cli)")
    instrument(sys.argv[1] if len(sys.argv) > 1 else "")
    sys.argv = ["grader", *sys.argv[1:]]
    code = 0
    try:
        grader.cli.main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 0
    mark("exit")
    previous = 0.0
    for t, thread, label in MARKS:
        where = "" if thread == "MainThread" else f"[{thread}] "
        print(f"{1000 * t:8.1f} ms (+{1000 * (t - previous):6.1f})  {where}{label}",
              file=sys.stderr)
        previous = t
    return code


if __name__ == "__main__":
    sys.exit(main())
