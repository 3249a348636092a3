"""Write results to a grading output folder: JSON per submission, summaries."""

from __future__ import annotations

import csv
import html
import json
import os
from pathlib import Path
from typing import Sequence

from ..results import SubmissionResult
from ..rubric import Rubric


def _atomic_write(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a crash never leaves half a file."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def write_result(out: Path, result: SubmissionResult) -> Path:
    folder = out / result.submission
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "result.json"
    _atomic_write(path, result.dumps() + "\n")
    return path


def write_summary(out: Path, results: Sequence[SubmissionResult], rubric: Rubric) -> None:
    """``results.json``, ``grades.csv`` and a plain ``index.html`` for the batch."""
    _atomic_write(out / "results.json", json.dumps(
        [r.to_json() for r in results], indent=2, sort_keys=True, allow_nan=False) + "\n")
    _write_csv(out / "grades.csv", results, rubric)
    _atomic_write(out / "index.html", _index_html(results))


def _write_csv(path: Path, results: Sequence[SubmissionResult], rubric: Rubric) -> None:
    ids = [c.id for c in rubric.checks]
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["submission", "score", "max_score", "status", *ids])
        for r in results:
            scores = {c.id: c.score for c in r.checks}
            writer.writerow([r.submission, f"{r.score:g}", f"{r.max_score:g}", r.status,
                             *(f"{scores[i]:g}" if i in scores else "" for i in ids)])
    os.replace(tmp, path)


def _index_html(results: Sequence[SubmissionResult]) -> str:
    rows = "\n".join(
        f"<tr><td><a href=\"{html.escape(r.submission)}/result.json\">"
        f"{html.escape(r.submission)}</a></td><td>{r.score:g} / {r.max_score:g}</td>"
        f"<td>{html.escape(r.status)}</td></tr>" for r in results)
    return ("<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>Grading results</title></head><body><h1>Grading results</h1>"
            "<table><thead><tr><th scope=\"col\">Submission</th><th scope=\"col\">Score</th>"
            f"<th scope=\"col\">Status</th></tr></thead><tbody>\n{rows}\n</tbody></table>"
            "</body></html>\n")
