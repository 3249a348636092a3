"""The reference network in the parent: its class, built seeded or holding given weights,
and the cut-down copy of it that stands in for student code in the train probe."""

from __future__ import annotations

import ast
from typing import Any, Mapping

import numpy as np

from ...reference import call_seeded
from ...rubric import Rubric
from ...syntax import parse

STAND_IN_METHODS = ("loss", "predict")
"""What of the reference stands in for student code (in the train probe)."""


def net_class(module: Any, rubric: Rubric) -> Any:
    """The network class of ``module`` (the reference or a mutant of it): the rubric's
    ``class_name``."""
    return getattr(module, rubric.class_name)


def seeded_net(cls: Any, seed: int, *args: Any, **kwargs: Any) -> Any:
    """``cls(*args, **kwargs)`` built right after ``np.random.seed(seed)``."""
    net = cls.__new__(cls)
    call_seeded(cls.__init__, seed, net, *args, **kwargs)
    return net


def reference_net(cls: Any, params: Mapping[str, Any]) -> Any:
    """A network of class ``cls`` holding ``params`` (copied), without running its ``__init__``."""
    net = cls.__new__(cls)
    net.params = {k: np.array(v, copy=True) for k, v in params.items()}
    return net


def stand_in_source(source: str) -> str:
    """The pack's ``stand_in_source`` hook: the reference module's source with each class cut
    down to ``loss`` and ``predict``.

    This is all the train probe's child receives: a student's ``train`` can
    call the reference loss (that is the point) but finds no reference
    ``train`` to call instead of writing its own.
    """
    tree = parse(source)
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            node.body = [item for item in node.body
                         if not isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef))
                         or item.name in STAND_IN_METHODS] or [ast.Pass()]
    return ast.unparse(tree)
