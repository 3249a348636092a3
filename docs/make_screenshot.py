"""Make ``docs/report.png``: the report of a submission with failures, in headless Chromium.

Usage::

    python docs/make_screenshot.py [--out docs/report.png] [--height 1800]

Grades the fixture ``forward_missing_b1`` (the reference whose forward pass
forgets b1, written by ``tests/fixtures/make_submissions.py``) into a temporary folder and photographs the top of its
``report.html``: the score, the table of checks and the plots. Uses the
Chromium installed by the system (``/usr/bin/chromium``), never a download.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.fixtures.make_submissions import write_submissions  # noqa: E402

FIXTURE = "forward_missing_b1"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


def screenshot(report: Path, out: Path, width: int, height: int) -> None:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(report.as_uri(), wait_until="load")
            page.screenshot(path=str(out), full_page=False)
        finally:
            browser.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "report.png")
    parser.add_argument("--width", type=int, default=1100)
    parser.add_argument("--height", type=int, default=1800)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from grader.api import grade

    with tempfile.TemporaryDirectory(prefix="report-screenshot-") as tmp:
        write_submissions(Path(tmp) / "fixtures")
        (result,) = grade([Path(tmp) / "fixtures" / FIXTURE], Path(tmp) / "out")
        screenshot(Path(tmp) / "out" / result.submission / "report.html", args.out, args.width,
                   args.height)
    print(f"{args.out}: {result.submission}, {result.score:g} / {result.max_score:g} points")
    return 0


if __name__ == "__main__":
    sys.exit(main())
