"""Helpers for the batch tests: a small class of submissions and outputs compared without timing."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import numpy as np

from .conftest import SUBMISSIONS

CLASS_FILES = ("index.html", "grades.csv", "junit.xml", "results.json")
NAMES = ("correct", "relu_mask_missing", "loss_summed_not_averaged", "python2_print_statement",
         "softmax_no_max_shift")
CHECKS = ("scores", "accuracy")
"""Cheap checks, one of which leaves a file for the report (``first_layer.npz``)."""


def make_class(folder: Path, names: tuple[str, ...] = NAMES) -> Path:
    """Fixture submissions, plus a resubmission identical to the first one."""
    folder.mkdir(parents=True)
    for name in names:
        shutil.copytree(SUBMISSIONS / name, folder / name)
    shutil.copytree(SUBMISSIONS / names[0], folder / f"{names[0]}_again")
    return folder


def without_timing(result: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in result.items() if k != "timing"}


def comparable(out: Path) -> dict[str, Any]:
    """Everything a batch wrote that does not depend on timing, by file name."""
    found: dict[str, Any] = {}
    for path in sorted(out.glob("*/result.json")):
        found[str(path.relative_to(out))] = without_timing(json.loads(path.read_text()))
    for path in sorted(out.glob("*/*.npz")):
        with np.load(path, allow_pickle=False) as arrays:  # the zip's own dates differ
            found[str(path.relative_to(out))] = {k: arrays[k].tobytes() for k in arrays.files}
    found["grades.csv"] = (out / "grades.csv").read_text()
    found["results.json"] = [without_timing(r) for r in json.loads((out / "results.json").read_text())]
    junit = ET.parse(out / "junit.xml").getroot()
    for element in junit.iter():
        element.attrib.pop("time", None)
    found["junit.xml"] = ET.tostring(junit)
    # Seconds, the slowest submissions (ordered by them) and the histogram of grading times
    # are the only timing in the page.
    page = re.sub(r'<img [^>]*alt="Histogram of the grading time[^>]*>', "",
                  (out / "index.html").read_text())
    page = re.sub(r"\d+\.\d+", "#", page)
    found["index.html"] = sorted(page.splitlines())
    return found
