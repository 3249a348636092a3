"""``grader release``: the starter is the checked-in template, the student build holds no
solution, no hidden input and no hidden check, and it reaches the instructor's verdicts; for
every assignment pack (the two-layer net and the Softmax classifier)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any, Iterator, Mapping

import numpy as np
import pytest

from grader.api import grade
from grader.checkdef import pack
from grader.assignments.softmax import cases as softmax_cases
from grader.assignments.softmax import mistakes as softmax_mistakes
from grader.assignments.softmax.modules import reference_sources
from grader.discover import submission_id
from grader.errors import ReleaseError
from grader.plan import build_plan
from grader.reference import is_recorded, load_reference
from grader.release import Release, release
from grader.release.markers import BEGIN_STUDENT, END_STUDENT, split_source
from grader.release.starter import generated_files, solution_lines
from grader.replay import NotRecorded, instructor_only, recorded_stand_in
from grader.needs import probe_of
from grader.resources import DEFAULT_ASSIGNMENT, examples, pack_dir, student_template
from grader.rubric import Rubric, load_rubric

from .conftest import PACK, PUBLIC_SEED, ROOT, SUBMISSIONS, write_rubric
from .venvs import fresh_venv, installed_package

SOFTMAX = "softmax"
KINDS = (DEFAULT_ASSIGNMENT, SOFTMAX)
"""Every pack that is released."""

MIN_LINE = 8
"""Solution lines shorter than this (``\"\"\"``, ``else:``) say nothing of the solution."""


def test_markers_split_solution_from_starter() -> None:
    text = ("def f(x):\n    ### BEGIN SOLUTION\n    y = x * 2\n    ### END SOLUTION\n"
            "    ### BEGIN STUDENT\n    # y = None  # TODO\n    #\n    ### END STUDENT\n"
            "    return y\n")
    split = split_source(text)
    assert split.starter == "def f(x):\n    y = None  # TODO\n\n    return y\n"
    assert split.solution == ("    y = x * 2",)
    namespace: dict[str, object] = {}
    exec(text, namespace)  # the marked reference still runs
    assert namespace["f"](3) == 6  # type: ignore[operator]


@pytest.mark.parametrize("text", [
    "### BEGIN SOLUTION\nx = 1\n",                              # never closed
    "### END SOLUTION\n",                                        # closed, never opened
    "### BEGIN STUDENT\nx = None\n### END STUDENT\n",            # student line not commented
    "### BEGIN SOLUTION\n### BEGIN STUDENT\n",                   # nested
])
def test_malformed_markers_are_reported(text: str) -> None:
    with pytest.raises(ReleaseError):
        split_source(text, "bad.py")


def test_reference_notebook_is_built_from_its_cells() -> None:
    script = ROOT / "notebooks" / "build_notebooks.py"
    proc = subprocess.run([sys.executable, str(script), "--check"], capture_output=True,
                          text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_release_refuses_a_reference_that_fails_its_checks(tmp_path: Path) -> None:
    pack = tmp_path / "two_layer_net"
    shutil.copytree(PACK, pack, ignore=shutil.ignore_patterns("__pycache__", "examples"))
    reference = pack / "reference" / "neural_net.py"
    text = reference.read_text(encoding="utf-8")
    assert "dscores /= N\n" in text
    reference.write_text(text.replace("dscores /= N\n", "dscores /= 2 * N\n"), encoding="utf-8")
    with pytest.raises(ReleaseError, match=r"fails its own visible checks \(train\)"):
        release(tmp_path / "out", rubric=pack / "rubric.toml")
    with pytest.raises(ReleaseError, match="not the rubric of an assignment pack"):
        release(tmp_path / "out2", rubric=write_rubric(tmp_path))


@dataclass(frozen=True)
class Build:
    """One pack released, and a fresh venv holding its student wheel."""

    rubric: Rubric
    """The pack's instructor rubric."""
    released: Release
    bin: Path
    """The venv's ``bin`` folder."""

    @property
    def pack(self) -> Path:
        return self.rubric.path.parent


@pytest.fixture(scope="module")
def softmax_released(tmp_path_factory: pytest.TempPathFactory) -> Release:
    """``grader release --rubric softmax`` with the tests' fixed public seed."""
    return release(tmp_path_factory.mktemp("softmax-release") / "out", rubric=SOFTMAX,
                   public_seed=PUBLIC_SEED)


@pytest.fixture(scope="module", params=KINDS)
def build(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Build:
    if request.param == DEFAULT_ASSIGNMENT:  # the session's build, shared with test_install
        return Build(request.getfixturevalue("rubric"), request.getfixturevalue("released"),
                     request.getfixturevalue("student_bin"))
    released: Release = request.getfixturevalue("softmax_released")
    venv = fresh_venv(tmp_path_factory.mktemp("softmax-student") / "venv", released.wheel)
    return Build(load_rubric(request.param), released, venv)


def _tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts}


@pytest.mark.parametrize("kind", KINDS)
def test_starter_is_the_checked_in_template(kind: str, released: Release,
                                            softmax_released: Release) -> None:
    starter = (released if kind == DEFAULT_ASSIGNMENT else softmax_released).starter
    starter_files, template = _tree(starter), _tree(student_template(kind))
    assert sorted(starter_files) == sorted(template)
    generated = {path.as_posix() for path in generated_files(pack_dir(kind))}
    assert generated and generated <= set(template)
    differing = [name for name in starter_files if starter_files[name] != template[name]]
    assert differing == [], "student_template/ is stale: run the pack's notebook builder"


def _files(folder: Path) -> Iterator[tuple[str, bytes]]:
    """Every file under ``folder``, every member of the zips among them (wheels, .npz), and
    the cell sources of every notebook (JSON escapes quotes)."""
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            yield from _contents(str(path), path.read_bytes())


def _contents(name: str, data: bytes) -> Iterator[tuple[str, bytes]]:
    yield name, data
    if name.endswith(".ipynb"):
        yield f"{name} (cells)", _cell_sources(data).encode()
    if zipfile.is_zipfile(BytesIO(data)):
        with zipfile.ZipFile(BytesIO(data)) as archive:
            for member in archive.namelist():
                yield from _contents(f"{name}:{member}", archive.read(member))


def _cell_sources(data: bytes) -> str:
    cells = json.loads(data)["cells"]
    return "\n".join("".join(c["source"]) if isinstance(c["source"], list) else c["source"]
                     for c in cells)


def _hidden_inputs(rubric: Rubric) -> list[bytes]:
    """The bytes of every hidden input array instructor grading uses."""
    ids = tuple(c.id for c in rubric.checks if probe_of(rubric, c.id) is not None)
    plan = build_plan(rubric, load_reference(rubric), tuple(i for i in ids if i != "accuracy"))
    if rubric.kind == SOFTMAX:
        return _softmax_hidden_inputs(rubric, {p.kind: p.args for p in plan.probes})
    hidden = [case for case in plan.cases.values() if case.hidden]
    assert hidden
    return [array.tobytes() for case in hidden for array in (case.X, case.params["W1"])]


def _softmax_hidden_inputs(rubric: Rubric, args: dict[str, Mapping[str, Any]]) -> list[bytes]:
    """The Softmax inputs are drawn in the child from the seed the plan hands it."""
    C = softmax_cases
    assert {a["seed"] for a in args.values()} == {rubric.seed}
    naive, vectorized, stab, pred, train = (args[f"softmax_{k}"] for k in
                                            ("naive", "vectorized", "stability", "predict",
                                             "train"))
    drawn: list[C.LossCase | C.PredictCase] = [
        *C.cases_for(naive), *C.cases_for(vectorized),
        *C.stability_case(rubric.seed, float(stab["shift"])),
        *C.predict_cases(rubric.seed, int(pred["count"]))]
    case = C.train_case(rubric.seed, *(train[k] for k in
                                       ("learning_rate", "reg", "num_iters", "batch_size")))
    return [a.tobytes() for a in (*(c.W for c in drawn), *(c.X for c in drawn), case.X, case.W0)]


def _leaks(name: str, data: bytes, lines: set[str], hidden: list[bytes],
           seed: re.Pattern[bytes]) -> list[tuple[str, str]]:
    text = data.decode("utf-8", "replace")
    found = [(name, line) for line in lines if line in text]
    found += [(name, "a hidden input") for array in hidden if array in data]
    if "\ufffd" not in text and seed.search(data):
        found.append((name, "the hidden seed"))
    return found


def _given_anyway(pack: Path, released: Release) -> set[str]:
    """Lines students are meant to have: the reference notebook's shared cells (setup lines a
    solution cell repeats), the text students see in place of each solution (STUDENT blocks,
    a solution cell's student source), and the released rubric's lines (its settings)."""
    given = (released.bundle / "rubric.toml").read_text(encoding="utf-8").splitlines()
    for source in generated_files(pack).values():
        if source.suffix == ".ipynb":
            for cell in json.loads(source.read_bytes())["cells"]:
                marked = cell["metadata"].get("grader")
                given += (marked["student"] if marked else "".join(cell["source"])).splitlines()
        else:
            given += _student_blocks(source.read_text(encoding="utf-8"))
    # a given line with a comment gives its code too (``best_val = -1  # so far``)
    return {part.strip() for line in given for part in (line, line.partition(" #")[0])}


def _student_blocks(text: str) -> list[str]:
    inside, found = False, []
    for line in text.splitlines():
        marker = line.strip()
        if marker in (BEGIN_STUDENT, END_STUDENT):
            inside = marker == BEGIN_STUDENT
        elif inside:
            found.append(marker.removeprefix("#"))
    return found


def _solution_lines(build: Build) -> set[str]:
    """Every solution line of the packs whose code the student build holds: the released
    one, and the default one whose parameter names the core reads (less the lines the
    released starter gives: another assignment's solution may be this one's scaffold)."""
    starter = "\n".join(data.decode("utf-8", "replace")
                        for _, data in _files(build.released.starter)).splitlines()
    lines: set[str] = set()
    for kind in {build.rubric.kind, DEFAULT_ASSIGNMENT}:
        found = {line.strip() for line in solution_lines(pack_dir(kind))
                 if len(line.strip()) >= MIN_LINE}
        found -= _given_anyway(pack_dir(kind), build.released)
        lines |= found if kind == build.rubric.kind else found - {s.strip() for s in starter}
    return lines


def _reference_text(pack: Path) -> str:
    return "".join(source.read_text("utf-8") if source.suffix != ".ipynb"
                   else _cell_sources(source.read_bytes())
                   for source in generated_files(pack).values())


def test_student_build_holds_no_solution(build: Build) -> None:
    lines = _solution_lines(build)
    own = {line.strip() for line in solution_lines(build.pack)} & lines
    assert len(own) > 30
    assert all(line in _reference_text(build.pack) for line in own)  # the scan finds what is there
    hidden = _hidden_inputs(build.rubric)
    assert len(hidden) >= 8
    seed = re.compile(rb"(?<![0-9])%d(?![0-9])" % build.rubric.seed)
    package = installed_package(build.bin)
    scanned = [build.released.starter.parent, package, *package.parent.glob("grader-*.dist-info")]
    leaks = [leak for folder in scanned for name, data in _files(folder)
             for leak in _leaks(name, data, lines, hidden, seed)]
    assert leaks == []
    assert not list(package.rglob("reference")) and not list(package.glob("assignments/*/mistakes*.py"))
    assert not list(package.rglob("examples"))
    shipped = [p.parent.name for p in package.glob("assignments/*/rubric.toml")]
    assert shipped == [build.rubric.kind]  # grader check grades the released pack


def test_student_rubric_holds_visible_checks_only(build: Build) -> None:
    rubric = build.rubric
    installed = installed_package(build.bin) / "assignments" / rubric.kind
    text = (installed / "rubric.toml").read_text(encoding="utf-8")
    assert text == (build.released.bundle / "rubric.toml").read_text(encoding="utf-8")
    student = tomllib.loads(text)
    visible = {c.id for c in rubric.checks if c.visible} - set(instructor_only(rubric))
    assert set(student["checks"]) == visible
    assert student["assignment"]["seed"] == PUBLIC_SEED != rubric.seed
    hidden_checks = [c.id for c in rubric.checks if not c.visible]
    assert hidden_checks
    for hidden in hidden_checks:
        assert hidden not in text


def test_student_rubric_leaves_out_checks_that_need_the_reference() -> None:
    assert instructor_only(load_rubric(DEFAULT_ASSIGNMENT)) == ("best_net",)
    # best_softmax scores the tuned W with the grader's own argmax: no reference needed
    assert instructor_only(load_rubric(SOFTMAX)) == ()


def _student_check(bin_dir: Path, entry: Path, cwd: Path) -> dict[str, str]:
    proc = subprocess.run([str(bin_dir / "grader"), "check", "--json", str(entry)],
                          capture_output=True, text=True, cwd=cwd)
    assert proc.returncode in (0, 1) and proc.stdout.startswith("{"), proc.stderr
    return {c["id"]: c["status"] for c in json.loads(proc.stdout)["checks"]}


def _softmax_submissions(folder: Path) -> list[Path]:
    """The reference, the reference with each known mistake, the untouched template and
    the pack's demo students (one with a notebook)."""
    sources = {"correct": reference_sources()} | {
        m.id: softmax_mistakes.apply_mistake(reference_sources(), m)
        for m in softmax_mistakes.MISTAKES}
    for name, files in sources.items():
        classifiers = folder / name / "cs231n" / "classifiers"
        classifiers.mkdir(parents=True)
        for file_name, text in files.items():
            (classifiers / file_name).write_text(text, encoding="utf-8")
    shutil.copytree(student_template(SOFTMAX) / "cs231n", folder / "untouched_template" / "cs231n")
    for example in examples(SOFTMAX).iterdir():
        copy = shutil.copytree if example.is_dir() else shutil.copyfile
        copy(example, folder / example.name)
    return sorted(folder.iterdir())


def test_student_check_reaches_the_instructor_verdicts(build: Build, tmp_path: Path) -> None:
    rubric = build.rubric
    if rubric.kind == SOFTMAX:
        entries = _softmax_submissions(tmp_path / "submissions")
    else:
        entries = sorted(p for p in SUBMISSIONS.iterdir() if p.is_dir())
    instructor = {r.submission: {c.id: c.status for c in r.checks if c.visible}
                  for r in grade(entries, tmp_path / "graded", rubric=rubric, jobs=2)}
    with ThreadPoolExecutor(2) as pool:
        student = dict(zip((submission_id(e) for e in entries),
                           pool.map(lambda e: _student_check(build.bin, e, tmp_path), entries)))
    visible = {c.id for c in rubric.checks if c.visible} - set(instructor_only(rubric))
    differing = {}
    for name, statuses in student.items():
        assert set(statuses) == visible, name
        expected = {check: instructor[name][check] for check in statuses}
        if statuses != expected:
            differing[name] = (statuses, expected)
    assert differing == {}
    seen = {s for statuses in student.values() for s in statuses.values()}
    assert seen >= {"pass", "fail", "error"}
    failing = {check for statuses in student.values() for check, s in statuses.items()
               if s == "fail"}
    assert failing >= visible - {"notebook_runs", "best_net", "best_softmax"}


def test_a_pack_that_records_nothing_is_not_released(monkeypatch: pytest.MonkeyPatch,
                                                     tmp_path: Path) -> None:
    softmax = pack(SOFTMAX)
    monkeypatch.setattr(softmax, "hooks", {k: v for k, v in softmax.hooks.items()
                                           if k != "record"})
    with pytest.raises(ReleaseError, match="declares no record and load_recorded hooks"):
        release(tmp_path / "out", rubric=SOFTMAX, public_seed=PUBLIC_SEED)
    assert not (tmp_path / "out").exists()


def test_softmax_bundle_answers_the_public_questions_as_the_reference(
        softmax_released: Release) -> None:
    public = load_rubric(softmax_released.bundle / "rubric.toml")
    assert is_recorded(public)
    recorded, real = load_reference(public), load_reference(load_rubric(SOFTMAX))
    loss = public.check("loss_naive").options
    cases = softmax_cases.loss_cases(PUBLIC_SEED, loss["hidden_cases"], tuple(loss["regs"]))
    for case in cases:
        for name in ("softmax_loss_naive", "softmax_loss_vectorized"):
            value, dW = getattr(recorded.softmax, name)(case.W, case.X, case.y, case.reg)
            expected, expected_dW = getattr(real.softmax, name)(case.W, case.X, case.y, case.reg)
            assert value == expected and np.array_equal(dW, expected_dW)
    (rows, *_) = softmax_cases.predict_cases(PUBLIC_SEED,
                                             public.check("predict").options["hidden_cases"])
    model, reference_model = recorded.linear_classifier.Softmax(), real.linear_classifier.Softmax()
    model.W = reference_model.W = rows.W
    assert np.array_equal(model.predict(rows.X), reference_model.predict(rows.X))
    hidden = softmax_cases.loss_cases(load_rubric(SOFTMAX).seed, 1, (0.0,))[0]
    with pytest.raises(NotRecorded):  # the hidden questions are not in the table
        recorded.softmax.softmax_loss_naive(hidden.W, hidden.X, hidden.y, hidden.reg)
    assert "exp" not in recorded_stand_in(public)  # the bowl, not the softmax
