"""The command line: parses options, sets verbosity, maps errors to exit codes.

Exit codes: 0 everything passed (or the batch was graded), 1 a check failed,
2 a usage error (bad option, rubric, data set or path).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Any, Callable, TypeVar

# The parent's numpy work is small; its BLAS threads would only compete with the
# sandboxed children for the cores. Set before anything imports numpy.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import click  # noqa: E402

from . import api  # noqa: E402
from .errors import GraderError
from .resources import rubric_path
from .results import SubmissionResult
from .similarity.compare import DEFAULT_THRESHOLD

F = TypeVar("F", bound=Callable[..., Any])
NO_BWRAP = "student code is isolated by resource limits only: install bubblewrap"
AS_ROOT = ("; as root, it can read and write anything on this machine and outlive its "
           "grading: grade untrusted code this way only in a throw-away container")
logger = logging.getLogger("grader")


def _common(fn: F) -> F:
    fn = click.option("--rubric", type=click.Path(dir_okay=False, path_type=Path),
                      help="Rubric file, or a shipped assignment's name (default: two_layer_net).")(fn)
    fn = click.option("--data", "data", metavar="SPEC",
                      help="Data set: 'embedded' (default) or 'cifar10:PATH'.")(fn)
    fn = click.option("--isolation", type=click.Choice(["auto", "bwrap", "none"]),
                      default="auto", show_default=True,
                      help="Sandbox: bubblewrap when available, or limits only.")(fn)
    fn = click.option("--allow-root-student-code", "allow_root", is_flag=True,
                      help="As root without bubblewrap, where student code cannot run as "
                           "an unprivileged user: run it as root. Only in a throw-away "
                           "container.")(fn)
    return fn


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", count=True, help="More log output (repeatable).")
@click.version_option(package_name="grader")
def main(verbose: int) -> None:
    """Grade the two-layer neural network assignment, safely and fast."""
    level = logging.WARNING - 10 * verbose
    logging.basicConfig(level=max(level, logging.DEBUG), format="%(levelname)s %(name)s: %(message)s")


@main.command()
@click.argument("path", type=click.Path(exists=True, path_type=Path))
@click.option("--check", "checks", multiple=True, metavar="ID", help="Run only this check (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@_common
def check(path: Path, checks: tuple[str, ...], as_json: bool, rubric: Path | None,
          data: str | None, isolation: str, allow_root: bool) -> None:
    """Self-check one submission (a .py file or a folder) with the visible checks."""
    _warn_isolation(isolation, allow_root)
    result = _guard(lambda: api.check(path, checks=checks or None, rubric=rubric, data=data,
                                      isolation=isolation,  # type: ignore[arg-type]
                                      allow_root_student_code=allow_root))
    click.echo(result.dumps() if as_json else api.format_table(result, color=True))
    _github([result], summary=True)
    sys.exit(0 if result.passed else 1)


@main.command()
@click.argument("submissions", type=click.Path(exists=True, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for results and reports.")
@click.option("--jobs", "-j", type=click.IntRange(1), default=None,
              help="Submissions graded at once (not with --scheduler).  "
                   "[default: the CPUs this process may use]")
@click.option("--check", "checks", multiple=True, metavar="ID", help="Run only this check (repeatable).")
@click.option("--force", is_flag=True,
              help="Grade every submission again, even those whose stored result is up to date.")
@click.option("--scheduler", metavar="ADDRESS",
              help="Grade on a dask cluster: 'tcp://HOST:PORT', or 'local:N' for N local "
                   "worker processes.")
@click.option("--no-similarity", is_flag=True, help="Skip the similarity report.")
@_common
def grade(submissions: Path, out: Path, jobs: int | None, checks: tuple[str, ...], force: bool,
          scheduler: str | None, rubric: Path | None, data: str | None, isolation: str,
          no_similarity: bool, allow_root: bool) -> None:
    """Grade every submission in a folder (each entry: folder, .py or .zip).

    A submission whose stored result in --out is up to date is not graded again,
    so the same command resumes an interrupted run.
    """
    _warn_isolation(isolation, allow_root)
    results = _grade_with_progress(submissions, out, jobs, rubric, data, isolation,
                                   checks=checks, force=force, scheduler=scheduler,
                                   allow_root=allow_root)
    _summary(results, out)
    _github(results, summary=False)
    if not no_similarity and submissions.is_dir():
        from .similarity import run_similarity

        found = _guard(lambda: run_similarity(submissions, out, results=results))
        click.echo(f"Similarity: {len(found.above())} of {found.compared} pairs above "
                   f"{found.threshold:g}: "
                   f"{out / 'similarity.html'}")


@main.command()
@click.argument("submissions", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for similarity.html, .json and .csv.")
@click.option("--against", multiple=True, metavar="FOLDER",
              type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Known solutions to compare every submission with (repeatable).")
@click.option("--threshold", type=click.FloatRange(0, 1), default=DEFAULT_THRESHOLD,
              show_default=True,
              help="Pairs scoring above this are listed for review.")
@click.option("--common-limit", type=click.IntRange(min=1), default=None, metavar="M",
              help="Passages found in more than M submissions are treated as common (shared "
                   "material, not copying) [default: the larger of 5 and a tenth of the class].")
def similarity(submissions: Path, out: Path, against: tuple[Path, ...], threshold: float,
               common_limit: int | None) -> None:
    """Compare the code of every pair of submissions, and each with known solutions."""
    from .similarity import run_similarity

    found = _guard(lambda: run_similarity(submissions, out, against=against, threshold=threshold,
                                          common_limit=common_limit))
    click.echo(f"{len(found.above())} of {found.compared} pairs above {threshold:g}: "
               f"{out / 'similarity.html'}")


@main.command()
@click.argument("out", metavar="DIR",
                type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--student-view", is_flag=True,
              help="Reports students may be given: hidden checks and hidden inputs left out.")
def report(out: Path, student_view: bool) -> None:
    """Re-render every report and export in DIR from its stored results (no grading)."""
    from .report.render import render_all

    _guard(lambda: render_all(out, student_view=student_view))
    click.echo(f"Reports: {out / 'index.html'}")


@main.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path),
              default=Path("demo-out"), show_default=True, help="Folder for the results.")
@click.option("--jobs", "-j", type=click.IntRange(1), default=2, show_default=True)
@_common
def demo(out: Path, jobs: int, rubric: Path | None, data: str | None, isolation: str,
         allow_root: bool) -> None:
    """Grade the example submissions on the embedded data and show where the report is."""
    _warn_isolation(isolation, allow_root)
    examples = _guard(lambda: rubric_path(rubric)).parent / "examples"  # the pack's own
    results = _grade_with_progress(examples, out, jobs, rubric, data, isolation,
                                   allow_root=allow_root)
    _summary(results, out)


@main.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for the release (new or empty).")
@click.option("--rubric", type=click.Path(dir_okay=False, path_type=Path),
              help="Rubric file of an assignment pack, or its name (default: two_layer_net).")
@click.option("--isolation", type=click.Choice(["auto", "bwrap", "none"]),
              default="auto", show_default=True,
              help="Sandbox for grading the reference while recording.")
@click.option("--public-seed", type=click.IntRange(0, 2**31 - 2), default=None,
              help="Seed of the student build's inputs (default: a fresh random one).")
def release(out: Path, rubric: Path | None, isolation: str, public_seed: int | None) -> None:
    """Write the starter, the self-check bundle and the student wheel (no solution in them)."""
    from .release import release as write_release

    done = _guard(lambda: write_release(out, rubric=rubric, public_seed=public_seed,
                                        isolation=isolation))  # type: ignore[arg-type]
    click.echo(f"Starter:          {done.starter}")
    click.echo(f"Self-check:       {done.bundle}")
    click.echo(f"Student wheel:    {done.wheel}")


def _warn_isolation(isolation: str, allow_root: bool) -> None:
    """One line on stderr when grading would run without bubblewrap; as root where
    student code cannot run as another user, the refusal (exit code 2) instead."""
    from .privileges import RunAs
    from .sandbox import bwrap_available, check_privileges

    unisolated = isolation == "none" or isolation == "auto" and not bwrap_available()
    run_as = RunAs(allow_root=allow_root)
    user = _guard(lambda: check_privileges(isolation, run_as))  # type: ignore[arg-type]
    if unisolated and os.geteuid() == 0 and user is None:
        logger.warning(NO_BWRAP + AS_ROOT)
    elif isolation == "auto" and not bwrap_available():
        logger.warning(NO_BWRAP)


def _grade_with_progress(submissions: Path, out: Path, jobs: int | None, rubric: Path | None,
                         data: str | None, isolation: str, *, checks: tuple[str, ...] = (),
                         force: bool = False, scheduler: str | None = None,
                         allow_root: bool = False) -> list[SubmissionResult]:
    from tqdm import tqdm

    from .batch import entries_of

    entries = _guard(lambda: entries_of(submissions))
    with tqdm(total=len(entries), unit="submission", file=sys.stderr,
              disable=None) as bar:
        def advance(result: SubmissionResult) -> None:
            bar.set_postfix_str(f"{result.submission}: {result.score:g}/{result.max_score:g}")
            bar.update()

        return _guard(lambda: api.grade(entries, out, rubric=rubric, data=data, jobs=jobs,
                                        isolation=isolation,  # type: ignore[arg-type]
                                        progress=advance, checks=checks or None, force=force,
                                        scheduler=scheduler, metrics=False,
                                        allow_root_student_code=allow_root))


def _github(results: list[SubmissionResult], *, summary: bool) -> None:
    """In GitHub Actions: error annotations at the student's file and line, and a step summary."""
    if os.environ.get("GITHUB_ACTIONS") != "true":
        return
    from .report.github import append_step_summary, github_annotations

    for line in github_annotations(results):
        click.echo(line)
    if summary:
        append_step_summary(results)


def _summary(results: list[SubmissionResult], out: Path) -> None:
    width = max((len(r.submission) for r in results), default=10)
    for r in results:
        status = "" if r.status == "graded" else f"  ({r.error})"
        click.echo(f"{r.submission:<{width}}  {r.score:>6g} / {r.max_score:g}{status}")
    click.echo(f"\nClass summary: {(out / 'index.html').resolve()}")
    click.echo(f"Grades: {out / 'grades.csv'}   Reports: {out}/<student>/report.html")


T = TypeVar("T")


def _guard(fn: Callable[[], T]) -> T:
    """Run ``fn``; a grader error is a usage problem: message and exit code 2."""
    try:
        return fn()
    except GraderError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)


if __name__ == "__main__":  # pragma: no cover
    main()
