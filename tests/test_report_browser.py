"""The HTML reports in a real headless Chromium: they load cleanly, every link and image
works, and what failed is on the page."""

from __future__ import annotations

import itertools
import re
from pathlib import Path
from typing import Iterator
from urllib.parse import unquote, urljoin, urlparse

import numpy as np
import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from grader import api
from grader.report import render_all
from grader.report.plots import png_bytes

from .conftest import SUBMISSIONS

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
FAILING = "forward_missing_b1"


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("graded")
    results = api.grade([SUBMISSIONS / "correct", SUBMISSIONS / FAILING], out, jobs=2)
    assert [r.score for r in results] == [100, 60]
    # A notebook figure, as a notebook submission would leave it, then render again.
    figures = out / FAILING / "figures"
    figures.mkdir()
    ramp = np.add.outer(np.arange(20), np.arange(40)) / 60
    (figures / "cell007-0.png").write_bytes(png_bytes(ramp))
    render_all(out)
    return out


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_page(browser: Browser, path: Path) -> tuple[Page, list[str]]:
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(path.as_uri(), wait_until="load")
    return page, errors


def assert_links_resolve(page: Page, path: Path) -> int:
    hrefs: list[str] = page.eval_on_selector_all(
        "a[href]", "els => els.map(e => e.getAttribute('href'))")
    for href in hrefs:
        url = urlparse(urljoin(path.as_uri(), href))
        assert url.scheme == "file", href
        target = Path(unquote(url.path))
        assert target.is_file(), href
        if url.fragment and target == path:
            assert page.locator(f"[id='{url.fragment}']").count() == 1, href
    return len(hrefs)


def assert_images_load(page: Page) -> int:
    images: list[list[object]] = page.eval_on_selector_all(
        "img", "els => els.map(e => [e.complete, e.naturalWidth, e.getAttribute('alt')])")
    for complete, width, alt in images:
        assert complete is True and isinstance(width, int) and width > 0
        assert isinstance(alt, str) and len(alt.strip()) > 10
    return len(images)


def assert_accessible_structure(page: Page) -> None:
    assert page.get_attribute("html", "lang") == "en"
    assert page.locator("script").count() == 0
    levels = [int(t[1]) for t in page.eval_on_selector_all(
        "h1, h2, h3, h4, h5, h6", "els => els.map(e => e.tagName)")]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels
    assert page.locator("th:not([scope])").count() == 0
    assert page.locator("table:not(:has(caption))").count() == 0


def screenshot(page: Page, path: Path) -> None:
    page.screenshot(path=str(path), full_page=True)
    assert path.read_bytes().startswith(b"\x89PNG") and path.stat().st_size > 20_000


def test_class_summary(graded: Path, browser: Browser, tmp_path: Path) -> None:
    index = graded / "index.html"
    page, errors = open_page(browser, index)
    assert_accessible_structure(page)
    assert assert_links_resolve(page, index) >= 2
    assert assert_images_load(page) == 2  # score and grading-time histograms
    rows = page.locator("#students tbody tr")
    assert rows.count() == 2
    assert "60 / 100" in rows.filter(has_text=FAILING).inner_text()
    failures = page.locator("#failures tbody").inner_text()
    assert "scores" in failures and "grad_W1" in failures
    screenshot(page, tmp_path / "index.png")
    assert errors == []


def test_report_with_full_marks(graded: Path, browser: Browser, tmp_path: Path) -> None:
    report = graded / "correct" / "report.html"
    page, errors = open_page(browser, report)
    assert_accessible_structure(page)
    assert_links_resolve(page, report)
    assert assert_images_load(page) == 5  # two losses, accuracy, gradient errors, weights
    assert "100 / 100 points" in page.locator("header").inner_text()
    assert page.locator(".status-fail, .status-error").count() == 0
    assert page.locator("td.oot").count() == 0
    assert page.locator("#notebook-figures").count() == 0
    screenshot(page, tmp_path / "correct.png")
    assert errors == []


def test_report_with_failures(graded: Path, browser: Browser, tmp_path: Path) -> None:
    report = graded / FAILING / "report.html"
    page, errors = open_page(browser, report)
    assert_accessible_structure(page)
    assert_links_resolve(page, report)
    assert assert_images_load(page) == 6  # five charts and the notebook's figure
    summary = page.locator("#summary tbody")
    for check in ("Forward pass: class scores", "Softmax loss", "Gradient of W1", "Gradient of b2"):
        assert "failed" in summary.locator("tr", has_text=check).inner_text()
    scores = page.locator("#check-scores")
    assert "b1 and b2 are both added" in scores.inner_text()
    highlighted = scores.locator("td.oot")
    assert highlighted.count() > 0 and highlighted.first.is_visible()
    background = "e => getComputedStyle(e).backgroundColor"
    assert highlighted.first.evaluate(background) != scores.locator("td").first.evaluate(background)
    assert re.search(r"\d+ of \d+ elements out of tolerance", scores.inner_text())
    notebook = page.locator("#notebook-figures")
    assert notebook.locator("h2").inner_text() == "Your notebook's figures"
    assert notebook.locator("img").count() == 1
    page.emulate_media(media="print")
    assert page.locator("nav").is_hidden()
    page.emulate_media(media="screen")
    screenshot(page, tmp_path / "failing.png")
    assert errors == []
