"""Write the reference ``softmax.ipynb`` of the Softmax pack, then the student's from it.

Same scheme as ``build_notebooks.py`` (whose cell types it reuses): one cell
list ``CELLS``; ``Solution`` cells carry the student's text in their metadata
and the template is generated from the reference by the release's
``split_notebook``, so the two cannot drift apart.

Usage (from the repository root)::

    .venv/bin/python notebooks/build_softmax_notebook.py           # (re)write both notebooks
    .venv/bin/python notebooks/build_softmax_notebook.py --check   # exit 1 if either is out of date
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
import build_notebooks as base  # noqa: E402
from build_notebooks import Cell, Solution, code, md  # noqa: E402

PACK = base.ROOT / "grader" / "assignments" / "softmax"
NOTEBOOK_NAME = "softmax.ipynb"
OUTPUTS = {
    "template": PACK / "student_template" / NOTEBOOK_NAME,
    "reference": PACK / "reference" / NOTEBOOK_NAME,
}

CELLS: list[Cell] = [
    md("title", """
        # A Softmax classifier

        In this assignment you write the softmax loss twice (with loops, then without),
        check both against numerical gradients and each other, train a linear classifier
        with minibatch stochastic gradient descent, and tune its learning rate and
        regularization strength.

        Your code goes into `cs231n/classifiers/softmax.py` (the two loss functions) and
        `cs231n/classifiers/linear_classifier.py` (`LinearClassifier.train` and
        `predict`). Cells that use a function you have not written yet stop with
        `NotImplementedError`: fill it in and run the cell again.
        """),
    code("setup", """
        import time
        import numpy as np

        from cs231n.classifiers.softmax import softmax_loss_naive, softmax_loss_vectorized
        from cs231n.classifiers.linear_classifier import Softmax
        from cs231n.data_utils import get_two_layer_data
        from cs231n.gradient_check import rel_error

        %load_ext autoreload
        %autoreload 2
        """),
    md("data-md", """
        ## Data

        CIFAR-10 is used when `cs231n/datasets/cifar-10-batches-py` exists, otherwise
        the bundled 8x8 digits. The mean training image is subtracted; a column of ones
        is appended so that the last row of `W` is the bias. `X_dev` is a small subset of
        the training data for the quick checks.
        """),
    code("data", """
        data = get_two_layer_data()

        def with_bias(X):
            return np.hstack([X, np.ones((X.shape[0], 1))])

        X_train, y_train = with_bias(data["X_train"]), data["y_train"]
        X_val, y_val = with_bias(data["X_val"]), data["y_val"]
        X_test, y_test = with_bias(data["X_test"]), data["y_test"]
        X_dev, y_dev = X_train[:500], y_train[:500]
        num_classes = int(y_train.max()) + 1
        print(data["dataset"], X_train.shape, X_val.shape, X_test.shape)
        """),
    md("loss-md", """
        ## The naive loss

        Implement `softmax_loss_naive`. With small random weights every class is about
        equally likely, so the loss should be close to $-\\log(1/C)$.
        """),
    code("loss", """
        np.random.seed(0)
        W = 0.0001 * np.random.randn(X_dev.shape[1], num_classes)
        loss, grad = softmax_loss_naive(W, X_dev, y_dev, 0.0)
        print(f"loss: {loss:f}   expected about: {-np.log(1.0 / num_classes):f}")
        """),
    md("gradcheck-md", """
        ## Gradient check

        Compare the analytic gradient with a centred difference at a few random
        coordinates, without and with regularization. Relative errors should be below
        about 1e-7.
        """),
    code("gradcheck", """
        def grad_check_sparse(f, W, analytic, num_checks=10, h=1e-5):
            for _ in range(num_checks):
                ix = tuple(np.random.randint(m) for m in W.shape)
                old = W[ix]
                W[ix] = old + h
                plus = f(W)
                W[ix] = old - h
                minus = f(W)
                W[ix] = old
                numeric = (plus - minus) / (2 * h)
                print(f"numerical {numeric:f} analytic {analytic[ix]:f}, "
                      f"relative error {rel_error(numeric, analytic[ix]):e}")

        for reg in (0.0, 5.0):
            loss, grad = softmax_loss_naive(W, X_dev, y_dev, reg)
            print(f"reg = {reg}")
            grad_check_sparse(lambda w: softmax_loss_naive(w, X_dev, y_dev, reg)[0], W, grad)
        """),
    md("vectorized-md", """
        ## The vectorized loss

        Implement `softmax_loss_vectorized`. It must give the same loss and gradient as
        the naive version, much faster.
        """),
    code("vectorized", """
        tic = time.time()
        loss_naive, grad_naive = softmax_loss_naive(W, X_dev, y_dev, 0.000005)
        naive_seconds = time.time() - tic
        tic = time.time()
        loss_vectorized, grad_vectorized = softmax_loss_vectorized(W, X_dev, y_dev, 0.000005)
        vectorized_seconds = time.time() - tic
        print(f"naive {naive_seconds:.4f} s, vectorized {vectorized_seconds:.4f} s")
        print("loss difference:", np.abs(loss_naive - loss_vectorized))
        print("gradient difference:", np.linalg.norm(grad_naive - grad_vectorized, ord="fro"))
        """),
    md("train-md", """
        ## Training

        Implement `LinearClassifier.train` and `LinearClassifier.predict`, then train a
        `Softmax` classifier. The loss should go down.
        """),
    code("train", """
        if data["dataset"] == "digits":
            settings = dict(learning_rate=1e-2, reg=1e-3, num_iters=200, batch_size=100)
        else:
            settings = dict(learning_rate=1e-7, reg=2.5e4, num_iters=1500, batch_size=200)
        np.random.seed(0)
        softmax = Softmax()
        loss_hist = softmax.train(X_train, y_train, verbose=True, **settings)
        print(f"first loss {loss_hist[0]:f}, last loss {loss_hist[-1]:f}")
        print("training accuracy:", np.mean(softmax.predict(X_train) == y_train))
        print("validation accuracy:", np.mean(softmax.predict(X_val) == y_val))
        """),
    md("tune-md", """
        ## Tuning

        Try several learning rates and regularization strengths; keep the classifier with
        the best validation accuracy in `best_softmax`. On CIFAR-10 it should exceed 0.35.
        """),
    Solution("tune", "code", template="""
        best_softmax = None  # the classifier with the best validation accuracy
        best_val = -1
        ################################################################################
        # TODO: Train a Softmax for several learning rates and regularization strengths #
        # (start from `settings` above) and store the best one in best_softmax.         #
        ################################################################################
        """, reference="""
        best_softmax = None
        best_val = -1
        for scale in (0.5, 1.0, 2.0):
            for reg_scale in (0.1, 1.0):
                trial = dict(settings, learning_rate=settings["learning_rate"] * scale,
                             reg=settings["reg"] * reg_scale)
                candidate = Softmax()
                candidate.train(X_train, y_train, **trial)
                val = np.mean(candidate.predict(X_val) == y_val)
                print(trial, f"validation accuracy {val:f}")
                if val > best_val:
                    best_softmax, best_val = candidate, val
        print(f"best validation accuracy: {best_val:f}")
        """),
    code("test", """
        y_test_pred = best_softmax.predict(X_test)
        print("validation accuracy:", np.mean(best_softmax.predict(X_val) == y_val))
        print("test accuracy:", np.mean(y_test_pred == y_test))
        """),
    md("question", """
        **Inline question:** why do we expect the first loss to be close to $-\\log(1/C)$?
        """),
    Solution("answer", "markdown", template="""
        *Your answer:*
        """, reference="""
        *Your answer:* with weights close to zero all scores are about equal, so the
        softmax gives every class probability about $1/C$ and the cross-entropy of the
        correct class is $-\\log(1/C)$.
        """),
]


def render(variant: str) -> str:
    saved = base.CELLS
    base.CELLS = CELLS  # the base builder reads its module's cell list
    try:
        return base.render(variant)  # type: ignore[arg-type]
    finally:
        base.CELLS = saved


def main(argv: list[str] | None = None) -> int:
    check = "--check" in (sys.argv[1:] if argv is None else argv)
    stale = []
    for variant, path in OUTPUTS.items():
        text = render(variant)
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current != text:
            if check:
                stale.append(path)
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(base.ROOT)}")
    for path in stale:
        print(f"out of date: {path.relative_to(base.ROOT)} (run {Path(__file__).name})")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
