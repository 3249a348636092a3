"""Builds shared by the install tests: the wheels, and fresh venvs to install them in.

A fresh venv gets the grader's dependencies as hard links of this test run's
own site-packages (no network, and real files inside the venv's prefix so
the sandbox can see them), then the wheel with ``pip --no-index --no-deps``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

_NOT_DEPENDENCIES = ("grader", "__editable__", "_grader", "__pycache__")


def build_instructor_wheel(root: Path, out: Path) -> Path:
    """``pip wheel`` of the project, offline (the build backend is installed already)."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps",
                    "--no-build-isolation", "--wheel-dir", str(out), str(root)],
                   check=True, cwd=out)
    shutil.rmtree(root / "build", ignore_errors=True)
    (wheel,) = out.glob("grader-*.whl")
    return wheel


def fresh_venv(path: Path, wheel: Path) -> Path:
    """A new venv at ``path`` with ``wheel`` installed; returns its ``bin`` folder."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True)
    python = path / "bin" / "python"
    purelib = Path(subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True).stdout.strip())
    for item in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if item.name.startswith(_NOT_DEPENDENCIES):
            continue
        if item.is_dir():
            shutil.copytree(item, purelib / item.name, copy_function=_link, symlinks=True)
        else:
            _link(item, purelib / item.name)
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--no-index", "--no-deps",
                    "--disable-pip-version-check", str(wheel)], check=True)
    return path / "bin"


def _link(source: str | Path, target: str | Path) -> None:
    """A hard link (instant); a copy when the venv is on another file system."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def installed_package(bin_dir: Path) -> Path:
    """The folder of the ``grader`` package the venv imports."""
    out = subprocess.run([str(bin_dir / "python"), "-c", "import grader; print(grader.__file__)"],
                         check=True, capture_output=True, text=True, cwd=bin_dir).stdout
    return Path(out.strip()).parent
