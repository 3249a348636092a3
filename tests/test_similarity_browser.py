"""The similarity page in a real headless Chromium: it loads cleanly, its links work,
the matching lines are marked side by side, and the class summary links to it."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser

from grader import api
from grader.similarity import run_similarity

from .conftest import FIXTURES, REFERENCE
from .similarity_variants import disguise
from .test_report_browser import (  # noqa: F401  (browser is a fixture)
    assert_accessible_structure,
    assert_links_resolve,
    browser,
    open_page,
    screenshot,
)


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("similar")
    folder = root / "subs"
    folder.mkdir()
    (folder / "original.py").write_text(REFERENCE.read_text())
    (folder / "copier.py").write_text(disguise(REFERENCE.read_text()))
    (folder / "own_work.py").write_text((FIXTURES / "similarity" / "loops.py").read_text())
    out = root / "out"
    results = api.grade(folder, out, jobs=2)
    found = run_similarity(folder, out, results=results)
    assert [(p.a, p.b) for p in found.above()] == [("copier", "original")]
    return out


def test_similarity_page(graded: Path, browser: Browser, tmp_path: Path) -> None:  # noqa: F811
    path = graded / "similarity.html"
    page, errors = open_page(browser, path)
    assert_accessible_structure(page)
    assert assert_links_resolve(page, path) >= 5  # two reports, twice, the pair, json, csv
    assert "never a verdict" in page.locator("#evidence").inner_text()
    rows = page.locator("#pairs tbody tr")
    assert rows.count() == 1 and "copier" in rows.inner_text()
    histogram = page.locator("svg.histogram")
    assert histogram.is_visible() and histogram.bounding_box()["height"] > 100  # type: ignore[index]
    assert page.locator("svg.histogram rect").count() == 20
    left, right = page.locator("#pair-1 .code-pair > div").all()
    box_l, box_r = left.bounding_box(), right.bounding_box()
    assert box_l and box_r and box_l["x"] + box_l["width"] <= box_r["x"]
    assert abs(box_l["y"] - box_r["y"]) < 1
    for side in (left, right):
        hits, plain = side.locator("li.hit"), side.locator("li:not(.hit)")
        assert hits.count() > 10 and plain.count() > 0
        background = "e => getComputedStyle(e).backgroundColor"
        assert hits.first.evaluate(background) != plain.first.evaluate(background)
    screenshot(page, tmp_path / "similarity.png")
    assert errors == []


def test_class_summary_links_it(graded: Path, browser: Browser) -> None:  # noqa: F811
    index = graded / "index.html"
    page, errors = open_page(browser, index)
    link = page.locator("#similarity a")
    assert link.get_attribute("href") == "similarity.html"
    assert "1 pair above 0.50" in page.locator("#similarity").inner_text()
    assert_links_resolve(page, index)
    link.click()
    assert page.url.endswith("/similarity.html")
    assert errors == []
