"""Write the reference ``two_layer_net.ipynb``, then the student's from it.

The reference notebook comes from the single cell list ``CELLS`` below. A
``Shared`` cell is the same for everyone; a ``Solution`` cell holds the worked
solution, and the text the student sees instead (a TODO or an answer
placeholder) in its metadata, ``{"grader": {"student": ...}}`` (the notebook
form of the solution markers, see ``grader/release/markers.py``). The student
template is generated from the reference exactly as ``grader release`` does,
so the two cannot drift apart. Cells keep the same id in both notebooks, so a
cell of a submission can be matched with its reference counterpart.

Notebooks are written without outputs and with a ``python3`` kernelspec.

Usage (from the repository root)::

    .venv/bin/python notebooks/build_notebooks.py           # (re)write both notebooks
    .venv/bin/python notebooks/build_notebooks.py --check   # exit 1 if either is out of date
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, cast

import nbformat
from nbformat.notebooknode import NotebookNode

from grader.release.markers import split_notebook

Variant = Literal["template", "reference"]
Kind = Literal["markdown", "code"]

ROOT = Path(__file__).resolve().parent.parent
PACK = ROOT / "grader" / "assignments" / "two_layer_net"
NOTEBOOK_NAME = "two_layer_net.ipynb"
OUTPUTS: dict[Variant, Path] = {
    "template": PACK / "student_template" / NOTEBOOK_NAME,
    "reference": PACK / "reference" / NOTEBOOK_NAME,
}



def _text(source: str) -> str:
    """Dedent a triple-quoted cell body and drop the blank edges."""
    return textwrap.dedent(source).strip("\n").rstrip()


@dataclass(frozen=True)
class Shared:
    """A cell that is the same in both notebooks."""

    id: str
    kind: Kind
    source: str
    tags: tuple[str, ...] = ()

    def render(self, variant: Variant) -> tuple[str, tuple[str, ...]]:
        return _text(self.source), self.tags


@dataclass(frozen=True)
class Solution:
    """A cell the student fills in: a TODO in the template, the answer in the reference."""

    id: str
    kind: Kind
    template: str
    reference: str

    def render(self, variant: Variant) -> tuple[str, tuple[str, ...]]:
        if variant == "template":
            return _text(self.template), ("todo",)
        return _text(self.reference), ("solution",)


Cell = Shared | Solution


def md(cell_id: str, source: str) -> Shared:
    return Shared(cell_id, "markdown", source)


def code(cell_id: str, source: str) -> Shared:
    return Shared(cell_id, "code", source)


def self_check_cell(cell_id: str, *check_ids: str) -> Shared:
    args = ", ".join(f'"{check_id}"' for check_id in check_ids)
    source = f"from cs231n.selfcheck import self_check\n\nself_check({args})"
    return Shared(cell_id, "code", source, tags=("self-check",))


# ---------------------------------------------------------------------------
# The notebook, top to bottom.
# ---------------------------------------------------------------------------

CELLS: list[Cell] = [
    md("title", """
        # A two-layer neural network classifier

        In this assignment you write a small fully connected neural network, check each
        piece of it against known numbers, and then train it to recognise images.

        The network has one hidden layer. For an input row $x$ it computes

        $$s = \\mathrm{ReLU}(x W_1 + b_1)\\, W_2 + b_2,$$

        and turns the class scores $s$ into probabilities with a softmax. It is trained
        by minimising the average softmax cross-entropy loss plus an L2 penalty on the
        weight matrices.

        All of your network code goes into the class `TwoLayerNet` in
        `cs231n/classifiers/neural_net.py`. This notebook calls into that class; cells
        that use a method you have not written yet stop with `NotImplementedError`. That
        is expected: fill in the method and run the cell again.

        Throughout the notebook there are *self-check* cells. They run the grader's
        visible checks on your `neural_net.py` (when the grader package is installed)
        and print a small table of results. They never stop the notebook.
        """),

    # 1. Setup ----------------------------------------------------------------
    md("setup-md", """
        ## Setup

        Run the cell below first. Besides the imports it turns on the `autoreload`
        extension, which reloads `neural_net.py` before each cell runs: edits you save in
        that file are picked up without restarting the kernel.
        """),
    code("setup", """
        import numpy as np
        import matplotlib.pyplot as plt

        from cs231n.classifiers.neural_net import TwoLayerNet
        from cs231n.data_utils import get_two_layer_data
        from cs231n.gradient_check import eval_numerical_gradient, rel_error
        from cs231n.vis_utils import visualize_grid

        %matplotlib inline
        plt.rcParams["figure.figsize"] = (10.0, 6.0)
        plt.rcParams["image.interpolation"] = "nearest"
        plt.rcParams["image.cmap"] = "gray"

        %load_ext autoreload
        %autoreload 2
        """),

    # 2. Toy model and data ---------------------------------------------------
    md("toy-md", """
        ## A toy problem with known answers

        Debugging on real images is slow and the numbers are hard to interpret, so we
        start with a network of 4 inputs, 10 hidden units and 3 classes, applied to 5
        random input rows. Both the weights and the data come from fixed random seeds,
        which lets us compare every quantity your code produces with precomputed values.

        Begin with `TwoLayerNet.__init__`. It stores the weights and biases in the
        dictionary `self.params` under the keys `W1`, `b1`, `W2` and `b2`: the weights
        start as small random numbers (scaled by `std`), the biases as zeros. Draw `W1`
        before `W2` so that a given seed produces the same network as the expected
        values below.
        """),
    code("toy-init", """
        def init_toy_model():
            np.random.seed(0)
            return TwoLayerNet(4, 10, 3, std=1e-1)


        def init_toy_data():
            np.random.seed(1)
            X = 10 * np.random.randn(5, 4)
            y = np.array([0, 1, 2, 2, 1])
            return X, y


        net = init_toy_model()
        X, y = init_toy_data()
        """),

    # 3. Forward pass ---------------------------------------------------------
    md("scores-md", """
        ## Step 1: class scores

        Write the first half of `TwoLayerNet.loss`: the forward pass from the inputs to
        the class scores. When it is called without labels (`y=None`) the method returns
        the score array of shape `(N, C)`, one row per input and one column per class.

        The cell below compares your scores with the expected ones. The total absolute
        difference should be smaller than `1e-7`.
        """),
    code("scores", """
        scores = net.loss(X)
        print("Your scores:")
        print(scores)
        print()

        correct_scores = np.asarray([
            [-0.81233741, -1.27654624, -0.70335995],
            [-0.17129677, -1.18803311, -0.47310444],
            [-0.51590475, -1.01354314, -0.8504215],
            [-0.15419291, -0.48629638, -0.52901952],
            [-0.00618733, -0.12435261, -0.15226949],
        ])
        print("Expected scores:")
        print(correct_scores)
        print()

        print("Difference between your scores and the expected scores:")
        print(np.sum(np.abs(scores - correct_scores)))
        """),
    self_check_cell("scores-check", "scores"),

    # 4. Loss -----------------------------------------------------------------
    md("loss-md", """
        ## Step 2: the loss

        Now finish the forward pass for the case where labels are given. The loss is the
        softmax cross-entropy averaged over the inputs, plus the regularization term
        `reg * (np.sum(W1 * W1) + np.sum(W2 * W2))`. The biases are not regularized.

        Subtracting each row's largest score before exponentiating gives the same softmax
        but avoids overflow when scores are large. Your loss should match the expected
        value to within `1e-12`.
        """),
    code("loss", """
        loss, _ = net.loss(X, y, reg=0.05)
        correct_loss = 1.30378789133

        print("Your loss:", loss)
        print("Difference from the expected loss:", np.abs(loss - correct_loss))
        """),
    self_check_cell("loss-check", "loss"),

    # 5. Gradients ------------------------------------------------------------
    md("grads-md", """
        ## Step 3: backpropagation

        Complete `loss` by computing the gradient of the loss with respect to each
        parameter, stored in the dictionary `grads` under the same keys as `self.params`.
        Remember the contribution of the regularization term to the gradients of `W1`
        and `W2`.

        To test the result we estimate each gradient numerically with centred finite
        differences and compare the two. The maximum relative error for every parameter
        should be below `1e-8`.
        """),
    code("grads", """
        loss, grads = net.loss(X, y, reg=0.05)

        for name in sorted(grads):
            # The function ignores its argument: eval_numerical_gradient perturbs
            # net.params[name] in place and re-evaluates the loss.
            f = lambda _: net.loss(X, y, reg=0.05)[0]
            numeric_grad = eval_numerical_gradient(f, net.params[name], verbose=False)
            print(f"{name} max relative error: {rel_error(numeric_grad, grads[name]):e}")
        """),
    self_check_cell("grads-check", "grad_W1", "grad_b1", "grad_W2", "grad_b2"),

    # 6. Toy training -----------------------------------------------------------
    md("train-toy-md", """
        ## Step 4: training and prediction

        With the loss and its gradients in place, write `TwoLayerNet.train`, which runs
        minibatch stochastic gradient descent, and `TwoLayerNet.predict`, which returns
        the highest-scoring class of each input.

        As a first test we train a fresh toy network on the toy data. The training loss
        should fall quickly and end close to zero (below about `0.02`).
        """),
    code("train-toy", """
        net = init_toy_model()
        stats = net.train(X, y, X, y, learning_rate=1e-1, reg=5e-6, num_iters=100, verbose=False)
        print("Final training loss:", stats["loss_history"][-1])

        plt.plot(stats["loss_history"])
        plt.xlabel("Iteration")
        plt.ylabel("Training loss")
        plt.title("Training loss on the toy data")
        plt.show()
        """),
    self_check_cell("train-check", "train"),

    # 7. Data -----------------------------------------------------------------
    md("data-md", """
        ## Loading real images

        `get_two_layer_data` returns training, validation and test splits. Each image is
        flattened into one row and the mean training image has been subtracted. If the
        CIFAR-10 batches are present in `cs231n/datasets/cifar-10-batches-py` you get
        CIFAR-10 (32x32 colour images, 10 classes); otherwise you get a small set of 8x8
        grayscale handwritten digits that ships with the assignment. The notebook works
        with either.
        """),
    code("data", """
        data = get_two_layer_data()

        print("Data set:", data["dataset"])
        print("Image shape:", data["image_shape"])
        for name in ("X_train", "y_train", "X_val", "y_val", "X_test", "y_test"):
            print(f"{name} shape: {data[name].shape}")
        """),

    # 8. First training run ---------------------------------------------------
    md("first-run-md", """
        ## A first training run

        We train a network with 50 hidden units using plain SGD and a learning rate that
        shrinks by a constant factor after every epoch. The settings below are a cautious
        starting point, not good choices, so do not expect a high accuracy yet.
        """),
    code("first-run", """
        input_size = data["X_train"].shape[1]
        num_classes = int(data["y_train"].max()) + 1

        np.random.seed(0)
        net = TwoLayerNet(input_size, 50, num_classes)
        stats = net.train(
            data["X_train"], data["y_train"], data["X_val"], data["y_val"],
            num_iters=1000, batch_size=200,
            learning_rate=1e-4, learning_rate_decay=0.95,
            reg=0.25, verbose=True,
        )

        val_acc = (net.predict(data["X_val"]) == data["y_val"]).mean()
        print("Validation accuracy:", val_acc)
        """),

    # 9. Debugging plots ------------------------------------------------------
    md("debug-md", """
        ## What went wrong?

        A single accuracy number says little about why training did badly. Two plots
        help:

        * The loss over the iterations. If it falls slowly and almost in a straight line,
          the learning rate is probably too small.
        * Training and validation accuracy after each epoch. If both are low and close
          together the model is underfitting (too little capacity or too much
          regularization); if training accuracy is much higher than validation accuracy
          it is overfitting.

        It also helps to look at the first-layer weights. Each column of `W1` has one
        entry per pixel, so it can be drawn as an image. Weights of a network that has
        not learned much tend to look like noise.
        """),
    code("debug-curves", """
        fig, (ax_loss, ax_acc) = plt.subplots(2, 1)

        ax_loss.plot(stats["loss_history"])
        ax_loss.set_xlabel("Iteration")
        ax_loss.set_ylabel("Loss")
        ax_loss.set_title("Training loss")

        ax_acc.plot(stats["train_acc_history"], label="train")
        ax_acc.plot(stats["val_acc_history"], label="validation")
        ax_acc.set_xlabel("Epoch")
        ax_acc.set_ylabel("Accuracy")
        ax_acc.set_title("Classification accuracy")
        ax_acc.legend()

        fig.tight_layout()
        plt.show()
        """),
    code("debug-weights", """
        def show_net_weights(net, image_shape):
            # W1 has shape (D, H). Reshape each column back into an image and move the
            # hidden-unit axis to the front: (H, height, width) or (H, height, width, 3).
            W1 = net.params["W1"]
            tiles = np.moveaxis(W1.reshape(*image_shape, -1), -1, 0)
            plt.imshow(visualize_grid(tiles, padding=1).astype("uint8"))
            plt.axis("off")
            plt.show()


        show_net_weights(net, data["image_shape"])
        """),

    # 10. Hyperparameter tuning -------------------------------------------------
    md("tune-md", """
        ## Tuning the hyperparameters

        Use what the plots told you to find better settings. Things worth varying are the
        hidden layer size, the learning rate, the number of iterations and the
        regularization strength; the learning rate decay and batch size matter less.
        Choose settings by **validation** accuracy, never by test accuracy.

        Keep the search small: try a handful of combinations, look at the results, then
        refine around the best one. On the digits a validation accuracy of 90% or more is
        within reach; on CIFAR-10, aim for at least 48%.

        The cell must leave your best network in the variable `best_net`.
        """),
    Solution(
        "tune",
        "code",
        template="""
            best_net = net  # placeholder: replace it with the best network you train below

            # TODO: train networks with different hyperparameters, measure the validation
            # accuracy of each, and store the network with the highest validation accuracy
            # in best_net. Printing the accuracy of every setting you try will help you
            # decide what to try next.
            # ========================= YOUR CODE STARTS HERE =========================
            pass
            # ========================== YOUR CODE ENDS HERE ==========================
            """,
        reference="""
            if data["dataset"] == "cifar10":
                num_iters = 3000
                # (hidden size, learning rate, regularization strength)
                settings = [(100, 1e-3, 0.25), (100, 1e-3, 0.5)]
            else:
                num_iters = 500
                settings = [(100, 1e-1, 1e-3), (100, 1e-1, 1e-2), (100, 3e-1, 1e-3)]

            best_net = None
            best_val = -1.0
            for hidden_size, learning_rate, reg in settings:
                np.random.seed(0)
                candidate = TwoLayerNet(input_size, hidden_size, num_classes)
                candidate.train(
                    data["X_train"], data["y_train"], data["X_val"], data["y_val"],
                    num_iters=num_iters, batch_size=200,
                    learning_rate=learning_rate, learning_rate_decay=0.95,
                    reg=reg, verbose=False,
                )
                acc = (candidate.predict(data["X_val"]) == data["y_val"]).mean()
                print(f"hidden {hidden_size}, lr {learning_rate:g}, reg {reg:g}: validation accuracy {acc:.3f}")
                if acc > best_val:
                    best_val, best_net = acc, candidate

            print("Validation accuracy:", best_val)
            """,
    ),
    md("tune-weights-md", """
        The first-layer weights of a well-trained network usually show visible structure,
        such as strokes for digits or colour blobs and edges for CIFAR-10.
        """),
    code("tune-weights", """
        show_net_weights(best_net, data["image_shape"])
        """),

    # 11. Test set --------------------------------------------------------------
    md("test-md", """
        ## Test accuracy

        Only once you have settled on `best_net`, measure its accuracy on the test set.
        This number estimates how the network does on images it has never seen; do not go
        back and tune against it.
        """),
    code("test", """
        test_acc = (best_net.predict(data["X_test"]) == data["y_test"]).mean()
        print("Test accuracy:", test_acc)
        """),

    # 12. Written answer --------------------------------------------------------
    md("question-md", """
        ## Question

        A trained network is usually more accurate on its training images than on new
        ones. Which of these changes would you expect to make that gap smaller? Pick all
        that apply and justify each choice in a sentence or two.

        1. Training on a larger data set.
        2. Adding more hidden units.
        3. Making the regularization stronger.
        """),
    Solution(
        "question-answer",
        "markdown",
        template="""
            **Your answer:**

            **Your explanation:**
            """,
        reference="""
            **Your answer:** 1 and 3.

            **Your explanation:** The gap comes from the network fitting details of its own
            training images that do not carry over to other images. A larger training set
            makes such accidental details harder to fit and more representative of new
            data (1). Stronger regularization keeps the weights small, which limits how
            closely the network can follow individual training examples (3); pushed too
            far it lowers training accuracy as well. More hidden units (2) add capacity,
            which usually makes the network fit the training set even more closely and
            widens the gap, unless the model was underfitting to begin with.
            """,
    ),

    # 13. Final self-check ------------------------------------------------------
    md("final-check-md", """
        ## All visible checks

        The cell below runs every visible check on your `neural_net.py` at once. The
        grader runs further checks that are not shown here.
        """),
    self_check_cell("final-check"),
]


# ---------------------------------------------------------------------------
# Building and writing.
# ---------------------------------------------------------------------------

NOTEBOOK_METADATA = {
    "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
    "language_info": {
        "name": "python",
        "file_extension": ".py",
        "mimetype": "text/x-python",
        "pygments_lexer": "ipython3",
        "codemirror_mode": {"name": "ipython", "version": 3},
        "nbconvert_exporter": "python",
    },
}


def build(variant: Variant) -> NotebookNode:
    """Return the notebook for ``variant`` (no outputs, stable cell ids)."""
    nb = nbformat.v4.new_notebook(metadata=NOTEBOOK_METADATA)  # type: ignore[no-untyped-call]
    seen: set[str] = set()
    for cell in CELLS:
        if cell.id in seen:
            raise ValueError(f"duplicate cell id {cell.id!r}")
        seen.add(cell.id)
        source, tags = cell.render(variant)
        metadata: dict[str, object] = {"tags": list(tags)} if tags else {}
        if isinstance(cell, Solution) and variant == "reference":
            metadata["grader"] = {"student": cell.render("template")[0]}
        new_cell = nbformat.v4.new_code_cell if cell.kind == "code" else nbformat.v4.new_markdown_cell
        nb.cells.append(new_cell(source, id=cell.id, metadata=metadata))  # type: ignore[no-untyped-call]
    nbformat.validate(nb)
    return cast(NotebookNode, nb)


def render(variant: Variant) -> str:
    """The reference as built from ``CELLS``; the template as generated from the reference."""
    text = cast(str, nbformat.writes(build("reference"), version=4))  # type: ignore[no-untyped-call]
    text = text if text.endswith("\n") else text + "\n"
    return split_notebook(text).starter if variant == "template" else text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--check",
        action="store_true",
        help="do not write anything; exit with status 1 if a notebook differs from what would be written",
    )
    args = parser.parse_args(argv)

    stale = []
    for variant, path in OUTPUTS.items():
        text = render(variant)
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if args.check:
            if current != text:
                stale.append(path)
            continue
        if current != text:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
        else:
            print(f"unchanged {path.relative_to(ROOT)}")

    for path in stale:
        print(f"out of date: {path.relative_to(ROOT)} (run notebooks/build_notebooks.py)")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
