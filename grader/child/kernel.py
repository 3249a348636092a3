"""Run a student's notebook with a real kernel, inside the sandboxed child.

The parent has already checked the notebook, removed shell escapes and laid
out the course's support files and data next to it. Here the cells run one by
one through nbclient (the kernel uses the ipc transport, so it starts without
a network); the run stops at the first failing cell. Then one more cell, run
in the same kernel, writes the student's tuned model (the weights the
assignment's extraction keeps, as an ``.npz``) and its predictions on inputs
whose labels stay with the parent.
Everything written is plain data: JSON, ``.npz``, ``.npy``, PNG, the
executed notebook.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import time
from typing import Any, BinaryIO

from .main import _apply_limits, _detach_stdin, _read_json

_TEXT_CAP = 20_000
"""Characters kept of each text output in the executed notebook."""
_MAX_FIGURES = 24
_IMAGE_CAP = 1_400_000
"""Characters of one base64 image kept in the executed notebook (about 1 MB of PNG)."""


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    workdir = argv[0]
    boot = _read_json(os.path.join(workdir, "boot.json"))
    _apply_limits(boot["limits"])
    status = os.fdopen(int(os.environ["GRADER_STATUS_FD"]), "w", buffering=1)
    go = _detach_stdin()
    out = os.path.join(workdir, "out")
    with open(os.path.join(out, "import.json"), "w", encoding="utf-8") as f:
        f.write("{}")
    status.write("begin import\nend import\n")
    if go.readline().strip() != "go":
        return 0
    plan = _read_json(os.path.join(workdir, "plan.json"))
    _not_dumpable()
    status.write("begin notebook\n")
    report = run_notebook(plan, out)
    # On the status pipe, not in a file: the notebook's own processes share this
    # user and the work folder, and could replace a file before the parent reads it.
    status.write(f"report notebook {json.dumps(report)}\n")
    status.write("end notebook\n")
    return 0


def _not_dumpable() -> None:
    """Keep the kernel (same user) out of this process: no ptrace, no /proc/PID/fd."""
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0
    except (OSError, AttributeError):
        pass  # not Linux: the sandbox is weaker there anyway


def run_notebook(plan: dict[str, Any], out: str) -> dict[str, Any]:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(plan["notebook"], as_version=4)
    client = NotebookClient(nb, timeout=plan["cell_timeout"], kernel_name="python3",
                            resources={"metadata": {"path": plan["cwd"]}},
                            interrupt_on_timeout=True, allow_errors=False,
                            # everything needed is out of the kernel by then: a graceful
                            # shutdown would only wait (about 0.4 s a notebook)
                            shutdown_kernel="immediate")
    client.km = client.create_kernel_manager()
    client.km.transport = "ipc"  # no TCP: the sandbox has no network, not even loopback
    client.km.ip = os.path.join(plan["runtime"], "kernel")
    started = time.monotonic()
    report: dict[str, Any] = {"failure": None, "executed": 0}
    try:
        with client.setup_kernel():
            report["failure"] = _execute_cells(client, nb, report)
            if report["failure"] is None or report["failure"]["kind"] in ("error", "timeout"):
                report["extract"] = _extract(client, plan)
    except Exception as exc:  # the kernel would not start, or died between cells
        report["failure"] = report["failure"] or {
            "kind": "kernel", "index": None, "ename": type(exc).__name__,
            "evalue": str(exc)[:_TEXT_CAP]}
    report["seconds"] = round(time.monotonic() - started, 3)
    _save(nb, out)
    return report


def _execute_cells(client: Any, nb: Any, report: dict[str, Any]) -> dict[str, Any] | None:
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        try:
            client.execute_cell(cell, index)
        except CellTimeoutError:
            return {"kind": "timeout", "index": index, "ename": "TimeoutError",
                    "evalue": f"the cell ran past its limit of {client.timeout} s"}
        except DeadKernelError as exc:
            return {"kind": "dead", "index": index, "ename": "DeadKernelError", "evalue": str(exc)}
        except CellExecutionError as exc:
            if exc.ename == "KeyboardInterrupt":  # interrupted by nbclient at the cell's limit
                return {"kind": "timeout", "index": index, "ename": "TimeoutError",
                        "evalue": f"the cell ran past its limit of {client.timeout} s"}
            return {"kind": "error", "index": index, "ename": str(exc.ename)[:_TEXT_CAP],
                    "evalue": str(exc.evalue)[:_TEXT_CAP], "traceback": _error_traceback(cell)}
        report["executed"] += 1
    return None


def _error_traceback(cell: Any) -> list[str]:
    """The cell's traceback lines, at most ``_TEXT_CAP`` characters in all (the end kept)."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            kept: list[str] = []
            room = _TEXT_CAP
            for line in reversed([str(t) for t in output.get("traceback", [])]):
                if room <= 0:
                    break
                kept.insert(0, line[-room:])
                room -= len(kept[0])
            return kept
    return []


_EXTRACT = """
def __grader_extract(source, name, variable, out, eval_path):
    import json, numpy as np
    scope = {"__name__": "__grader_assignment__"}
    exec(compile(source, "<the assignment's extraction>", "exec"), scope)
    model = globals().get(variable)
    info = {"best_net": "missing" if model is None else type(model).__name__}
    found, weights = scope[name](globals(), model)
    info.update(found)
    if weights is not None:
        np.savez(out + "/best_net.npz", **weights)
    if model is not None and eval_path:
        try:
            labels = np.asarray(model.predict(np.load(eval_path, allow_pickle=False)), dtype=float)
            np.save(out + "/best_net_predict.npy", labels)
        except Exception as exc:
            info["predict_error"] = (type(exc).__name__ + ": " + str(exc))[:2000]
    with open(out + "/extract.json", "w") as f:
        json.dump(info, f)
"""
"""Defines the extraction in the student's kernel: the assignment's function (its source,
from the plan) says which weights to keep; the tuned model's predictions and the files
are the same for every assignment."""


def _extract(client: Any, plan: dict[str, Any]) -> str:
    """Run the extraction cell in the student's kernel; return how it went."""
    import nbformat
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    arguments = ", ".join(map(repr, (plan["extract_source"], plan["extract_function"],
                                     plan["variable"], plan["out"],
                                     plan.get("eval_inputs") or "")))
    code = f"{_EXTRACT}__grader_extract({arguments})\ndel __grader_extract\n"
    cell = nbformat.v4.new_code_cell(code)
    # nbclient stores each executed cell back at its index: give this one its
    # own place at the end, and take it out again before the notebook is saved.
    client.nb.cells.append(cell)
    try:
        client.execute_cell(cell, len(client.nb.cells) - 1)
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
        return f"{type(exc).__name__}: {exc}"[:500]
    finally:
        client.nb.cells.pop()
    return "ok"


def _save(nb: Any, out: str) -> None:
    """Write the executed notebook with capped outputs, and its figures as PNG files."""
    import nbformat

    folder = os.path.join(out, "figures")
    if os.path.islink(folder) or (os.path.lexists(folder) and not os.path.isdir(folder)):
        os.unlink(folder)  # whatever the notebook left in the way
    os.makedirs(folder, exist_ok=True)
    figures = 0
    for index, cell in enumerate(nb.cells):
        for n, output in enumerate(cell.get("outputs", [])):
            png = output.get("data", {}).get("image/png") if "data" in output else None
            if png and figures < _MAX_FIGURES:
                path = os.path.join(out, "figures", f"cell{index:03d}-{n}.png")
                with _fresh(path) as f:
                    f.write(base64.b64decode(png))
                figures += 1
            _cap(output)
    with _fresh(os.path.join(out, "executed.ipynb")) as f:
        f.write(nbformat.writes(nb).encode("utf-8"))


def _fresh(path: str) -> BinaryIO:
    """A new file at ``path``: whatever the notebook left there (a link, a FIFO) goes first."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o644)
    return os.fdopen(fd, "wb")


def _cap(output: Any) -> None:
    if output.get("output_type") == "error":
        output["evalue"] = str(output.get("evalue", ""))[:_TEXT_CAP]
        output["traceback"] = [str(t)[:_TEXT_CAP] for t in output.get("traceback", [])[-20:]]
    if output.get("output_type") == "stream" and len(output.get("text", "")) > _TEXT_CAP:
        output["text"] = output["text"][:_TEXT_CAP] + "\n[... output cut by the grader ...]\n"
    data = output.get("data", {})
    for key in [k for k in data if k.startswith("image/") and len(data[k]) > _IMAGE_CAP]:
        data["text/plain"] = f"[a {key} image of {len(data.pop(key))} characters, left out]"
    for key in list(data):
        if key.startswith("text/") and len(data[key]) > _TEXT_CAP:
            data[key] = data[key][:_TEXT_CAP]
