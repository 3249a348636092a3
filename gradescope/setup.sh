#!/usr/bin/env bash
# Gradescope autograder set-up: runs once, as root, when Gradescope builds the image.
#
# Build the autograder zip from the project's root so that setup.sh and
# run_autograder sit at the top of the zip next to the project itself:
#
#     cp gradescope/setup.sh gradescope/run_autograder .
#     zip -r autograder.zip setup.sh run_autograder pyproject.toml README.md \
#         grader -x '*/__pycache__/*'
#
# Gradescope unpacks it into /autograder/source. Pick the Ubuntu 24.04 base
# image (Python 3.12); on 22.04 this script installs Python 3.11, the oldest
# the grader runs on. The embedded digits data set ships inside the package,
# so nothing is downloaded at grading time.
set -euo pipefail

SOURCE=/autograder/source
VENV=/autograder/venv

apt-get update
# bubblewrap: the sandbox, where the container allows it; setpriv (util-linux):
# the drop to user nobody, with or without it (see run_autograder).
apt-get install -y --no-install-recommends bubblewrap util-linux
if python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    PYTHON=python3
    apt-get install -y --no-install-recommends python3-venv
else
    PYTHON=python3.11
    apt-get install -y --no-install-recommends python3.11 python3.11-venv
fi

"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade pip
# The assignment packs (rubric, reference, template) ship inside the package.
"$VENV/bin/python" -m pip install --quiet "$SOURCE"
# Student code runs as nobody: without bubblewrap it runs this venv's Python by
# its real path, so nobody must be able to read it (the grader refuses otherwise).
chmod a+x /autograder
chmod -R a+rX "$VENV" "$SOURCE"
# ... but not the instructor's files: without bubblewrap, student code runs with
# this package on its path and could read the reference solutions, the example
# submissions and the mistake libraries (the grader, as root, still reads them).
PACKS=$("$VENV/bin/python" -c 'import grader, pathlib; print(pathlib.Path(grader.__file__).parent / "assignments")')
for packs in "$PACKS" "$SOURCE/grader/assignments"; do
    find "$packs" -mindepth 2 -maxdepth 2 \( -name reference -o -name examples \
        -o -name 'mistakes*.py' \) -exec chmod -R go-rwx {} +
done
"$VENV/bin/grader" --version
