"""What one grading run shares across submissions: rubric, data, settings.

The data set is loaded and written out for the children once per run, on
first use, and shared read-only by every submission's sandbox.
"""

from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from .errors import RubricError
from .needs import needs_data
from .privileges import RunAs
from .rubric import DatasetSettings, Rubric
from .sandbox import Isolation, check_privileges
from .tempdirs import new_temp_dir

if TYPE_CHECKING:
    from .datasets import Dataset


@dataclass(frozen=True)
class PreparedData:
    """A data set written as ``.npy`` files for the children, without the labels
    the verdict is computed from."""

    dataset: Dataset
    settings: DatasetSettings
    directory: Path


class Session:
    """Settings and shared resources of one grading run; use as a context manager."""

    def __init__(self, rubric: Rubric, *, data_spec: str | None = None,
                 check_ids: tuple[str, ...] | None = None, isolation: Isolation = "auto",
                 visible_only: bool = False, run_as: RunAs = RunAs()) -> None:
        self.rubric = rubric
        self.data_spec = data_spec
        ids = check_ids or tuple(c.id for c in rubric.checks)
        unknown = [i for i in ids if not rubric.has(i)]
        if unknown:
            raise RubricError(str(rubric.path), "checks", f"no such check: {', '.join(unknown)} "
                              f"(the rubric has: {', '.join(c.id for c in rubric.checks)})")
        if visible_only:
            ids = tuple(i for i in ids if rubric.check(i).visible)
        self.check_ids = tuple(c.id for c in rubric.checks if c.id in ids)  # the rubric's order
        self.isolation = isolation
        check_privileges(isolation, run_as)  # as root, before anything is graded
        self.run_as = run_as
        self.tmp = new_temp_dir()
        # Created now, filled on first use: children started before the data is
        # written already have this folder bound into their sandbox.
        self.data_dir = self.tmp / "data"
        self.data_dir.mkdir()
        self._lock = threading.Lock()
        self._data: PreparedData | None = None

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        shutil.rmtree(self.tmp, ignore_errors=True)

    def dataset_settings(self) -> DatasetSettings | None:
        """The accuracy settings for the data set, known without loading it."""
        if not needs_data(self.rubric, self.check_ids):
            return None
        name = "cifar10" if (self.data_spec or "").startswith("cifar10:") else "digits"
        if name not in self.rubric.datasets:
            raise RubricError(str(self.rubric.path), f"data.{name}",
                              "the accuracy check needs settings for this data set")
        return self.rubric.datasets[name]

    def prepared(self) -> PreparedData | None:
        """The data set, loaded and written for the children on first use."""
        settings = self.dataset_settings()
        if settings is None:
            return None
        with self._lock:
            if self._data is None:
                self._data = _prepare(self.data_spec, settings, self.data_dir)
            return self._data


def _prepare(spec: str | None, settings: DatasetSettings, directory: Path) -> PreparedData:
    import numpy as np

    from .datasets import load_dataset

    dataset = load_dataset(spec)
    monitor = min(1000, max(10, dataset.X_train.shape[0] // 10))
    files = {
        "X_train": dataset.X_train, "y_train": dataset.y_train,
        "X_monitor": dataset.X_train[-monitor:], "y_monitor": dataset.y_train[-monitor:],
        "X_eval": dataset.X_val,
    }
    for name, array in files.items():
        np.save(directory / f"{name}.npy", np.ascontiguousarray(array), allow_pickle=False)
    return PreparedData(dataset, settings, directory)
