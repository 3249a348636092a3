"""Rebuild the demo submission ``erin_template.zip`` of the two-layer net pack.

Erin handed in the course template without changing it: the zip holds the
untouched skeleton ``student_template/cs231n/classifiers/neural_net.py`` as
``cs231n/classifiers/neural_net.py``. Run from anywhere::

    python scripts/make_zip.py

Entries get a fixed timestamp and permissions, so the same skeleton always
gives the same bytes.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACK = ROOT / "grader" / "assignments" / "two_layer_net"
SKELETON = PACK / "student_template" / "cs231n" / "classifiers" / "neural_net.py"
OUTPUT = PACK / "examples" / "erin_template.zip"
ARCNAME = "cs231n/classifiers/neural_net.py"
TIMESTAMP = (2024, 1, 15, 9, 30, 0)


def build(skeleton: Path = SKELETON, output: Path = OUTPUT) -> Path:
    """Write the zip and return its path."""
    info = zipfile.ZipInfo(ARCNAME, date_time=TIMESTAMP)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    output.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr(info, skeleton.read_bytes())
    return output


if __name__ == "__main__":
    path = build()
    print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size} bytes)")
