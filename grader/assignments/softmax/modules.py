"""Load the pack's two course modules, as given sources, into one in-memory package.

``linear_classifier.py`` imports ``softmax_loss_vectorized`` relatively
(``from .softmax import ...``), as it does inside a student's
``cs231n/classifiers``. To run the reference, or the reference with a known
mistake, in the grader's own process, both sources are executed as the
modules ``softmax`` and ``linear_classifier`` of a fresh package with a
unique name, so two variants never share a module.
"""

from __future__ import annotations

import itertools
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

REFERENCE = Path(__file__).parent / "reference"
LOSS_FILE = "softmax.py"
CLASSIFIER_FILE = "linear_classifier.py"
_counter = itertools.count()


@dataclass(frozen=True)
class CourseModules:
    """The two modules of one variant of the assignment."""

    softmax: ModuleType
    """Holds ``softmax_loss_naive`` and ``softmax_loss_vectorized``."""
    linear_classifier: ModuleType
    """Holds ``LinearClassifier`` and ``Softmax``."""


def reference_sources() -> dict[str, str]:
    """File name -> source of the marked reference modules."""
    return {name: (REFERENCE / name).read_text(encoding="utf-8")
            for name in (LOSS_FILE, CLASSIFIER_FILE)}


def load_sources(sources: dict[str, str], reg_scale: float = 1.0) -> CourseModules:
    """Execute both sources (keyed by file name) as one package; set ``REG_SCALE`` if defined."""
    package = ModuleType(f"_grader_softmax_{next(_counter)}")
    package.__path__ = []
    sys.modules[package.__name__] = package
    try:
        loss = _exec(package, "softmax", sources[LOSS_FILE])
        if hasattr(loss, "REG_SCALE"):
            setattr(loss, "REG_SCALE", reg_scale)  # the rubric's convention, as for the two-layer net
        classifier = _exec(package, "linear_classifier", sources[CLASSIFIER_FILE])
    finally:
        for name in [n for n in sys.modules if n.split(".")[0] == package.__name__]:
            del sys.modules[name]
    return CourseModules(loss, classifier)


def _exec(package: ModuleType, name: str, source: str) -> ModuleType:
    module = ModuleType(f"{package.__name__}.{name}")
    module.__package__ = package.__name__
    sys.modules[module.__name__] = module
    setattr(package, name, module)
    exec(compile(source, f"<{name}.py>", "exec"), module.__dict__)
    return module


def load_reference(reg_scale: float = 1.0) -> CourseModules:
    """The reference, with the rubric's regularization convention."""
    return load_sources(reference_sources(), reg_scale)
