"""The student wheel: the grader package as installed, minus what students must not hold.

Built from the running package's own files, so it is the same grader code as
the instructor's. Left out: every pack but the released one and the default
one (the core's child and checks read its parameter names, the notebook run
lays out its course files); in those two the reference, the demo examples
(some are full solutions), the mistake library (``mistakes*.py``) and the
instructor rubric. When another pack is released, the default one keeps only
its Python files (so it is no shipped assignment: ``grader check`` grades the
released one) and not its template's skeleton. Put in: the student rubric
and the recorded expected values (the self-check bundle) and the freshly
generated starter as the released pack's template. Written directly as a zip
(the wheel format is a zip with a ``.dist-info`` folder), with fixed
timestamps, so no build tool or network is needed.
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import zipfile
from importlib import metadata
from pathlib import Path

from ..resources import DEFAULT_ASSIGNMENT
from .starter import generated_files

LOCAL_VERSION = "selfcheck"
_LEFT_OUT = ("reference", "examples", "rubric.toml", "mistakes*.py", "selfcheck.npz")
_TIMESTAMP = (2020, 1, 1, 0, 0, 0)


def student_files(package: Path, pack: str, bundle: Path, starter: Path) -> dict[str, bytes]:
    """Archive name -> content of every file of the student build's ``grader`` package."""
    files: dict[str, bytes] = {}
    skeletons = _skeletons(package, pack)
    for path in sorted(package.rglob("*")):
        relative = path.relative_to(package)
        if path.is_file() and _kept(relative.parts, pack) and relative not in skeletons:
            files[f"grader/{relative.as_posix()}"] = path.read_bytes()
    base = f"grader/assignments/{pack}"
    for path in sorted(starter.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            files[f"{base}/student_template/{path.relative_to(starter).as_posix()}"] = path.read_bytes()
    for name in ("rubric.toml", "selfcheck.npz"):
        files[f"{base}/{name}"] = (bundle / name).read_bytes()
    return files


def _skeletons(package: Path, pack: str) -> set[Path]:
    """The default pack's generated template files, when another pack is released: the
    notebook run lays out that template's support code, never its skeleton, and the
    skeleton of one assignment may hold solution lines of another."""
    if pack == DEFAULT_ASSIGNMENT:
        return set()
    folder = Path("assignments") / DEFAULT_ASSIGNMENT
    return {folder / "student_template" / relative
            for relative in generated_files(package / folder)}


def _kept(parts: tuple[str, ...], pack: str) -> bool:
    if "__pycache__" in parts or parts[-1].endswith(".pyc"):
        return False
    if parts[0] != "assignments" or len(parts) == 2 and parts[1] == "__init__.py":
        return True
    if parts[1] not in (pack, DEFAULT_ASSIGNMENT) or len(parts) < 3:
        return False
    if any(fnmatch.fnmatch(parts[2], pattern) for pattern in _LEFT_OUT):
        return False
    if parts[1] != pack:
        return parts[-1].endswith(".py")
    return parts[2] != "student_template"  # replaced by the starter just generated


def build_wheel(files: dict[str, bytes], out: Path) -> Path:
    """Write ``files`` as the ``grader`` wheel (student build) into ``out``."""
    version = f"{metadata.version('grader')}+{LOCAL_VERSION}"
    info = f"grader-{version}.dist-info"
    files = dict(files)
    files[f"{info}/METADATA"] = _metadata(version).encode()
    files[f"{info}/WHEEL"] = (b"Wheel-Version: 1.0\nGenerator: grader release\n"
                              b"Root-Is-Purelib: true\nTag: py3-none-any\n")
    files[f"{info}/entry_points.txt"] = b"[console_scripts]\ngrader = grader.cli:main\n"
    files[f"{info}/top_level.txt"] = b"grader\n"
    record = [f"{name},sha256={_hash(data)},{len(data)}" for name, data in files.items()]
    files[f"{info}/RECORD"] = ("\n".join(record + [f"{info}/RECORD,,"]) + "\n").encode()
    out.mkdir(parents=True, exist_ok=True)
    wheel = out / f"grader-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            entry = zipfile.ZipInfo(name, date_time=_TIMESTAMP)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, data)
    return wheel


def _metadata(version: str) -> str:
    requires = [r for r in metadata.requires("grader") or [] if "extra ==" not in r]
    lines = ["Metadata-Version: 2.1", "Name: grader", f"Version: {version}",
             "Summary: Self-check of the course assignment (student build of grader)",
             "License: MIT",
             f"Requires-Python: {metadata.metadata('grader')['Requires-Python'] or '>=3.11'}",
             *(f"Requires-Dist: {r}" for r in requires)]
    return "\n".join(lines) + "\n"


def _hash(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
