"""Known mistakes of the Softmax assignment, as changes to the reference.

Each entry names a mistake students make, the checks it fails (ids of this
pack's rubric), and what to tell them. The assignment has two course files,
so the entries come in two groups: ``LOSS_MISTAKES`` change ``softmax.py``,
``CLASSIFIER_MISTAKES`` change ``linear_classifier.py`` (each entry's
``file``). The patches change code lines of the reference (never comments);
``line`` finds the student's line in ``method`` (diagnosis quotes it).
"""

from __future__ import annotations

from dataclasses import replace

from ...mistakes import Mistake, method_raises, with_mistake
from .modules import CLASSIFIER_FILE, LOSS_FILE, CourseModules, load_sources

_N_LOSS_DIV = "loss /= num_train"
_N_GRAD_DIV = "dW /= num_train"
_N_REG_LOSS = "loss += REG_SCALE * reg * np.sum(W * W)"
_N_REG_GRAD = "dW += 2 * REG_SCALE * reg * W"
_N_SHIFT = "scores = scores - np.max(scores)"
_N_COLUMN = "dW[:, j] += (probs[j] - (j == y[i])) * X[i]"
_V_SHIFT = "shifted = scores - scores.max(axis=1, keepdims=True)"
_V_LOSS = "loss = -log_probs[np.arange(N), y].mean() + REG_SCALE * reg * np.sum(W * W)"
_V_MINUS_ONE = "dscores[np.arange(N), y] -= 1"
_V_DIVIDE = "dscores /= N"
_V_GRAD = "dW = X.T.dot(dscores) + 2 * REG_SCALE * reg * W"
_INIT = "if self.W is None:"
_DRAW = "self.W = 0.001 * np.random.randn(dim, num_classes)"
_SAMPLE = "batch = np.random.choice(num_train, batch_size, replace=True)"
_UPDATE = "self.W -= learning_rate * grad"
_RETURN = "return loss_history"
_ARGMAX = "y_pred = np.argmax(X.dot(self.W), axis=1)"

# The student's line at fault: an assignment, not the template's ``loss = 0.0`` or
# ``dW = np.zeros_like(W)`` that precede it.
_ACCUMULATE_LOSS = r"\bloss\s*[-+]="
_ACCUMULATE_DW = r"\bdW\b.*[-+]="
_SET_LOSS = r"\bloss\s*=(?!=)(?!\s*0(\.0*)?$)"
_SET_DW = r"\bdW\s*=(?!=)(?!\s*np\.zeros)"

_NAIVE = (
    Mistake("naive_loss_not_averaged", ("loss_naive", "consistency"),
            "softmax_loss_naive sums the cross-entropy over the examples; divide by N.",
            ((_N_LOSS_DIV, "pass"),), method="softmax_loss_naive", line=_ACCUMULATE_LOSS),
    Mistake("naive_grad_not_averaged", ("grad_naive", "consistency"),
            "softmax_loss_naive sums the gradient over the examples; divide dW by N.",
            ((_N_GRAD_DIV, "pass"),), method="softmax_loss_naive", line=_ACCUMULATE_DW),
    Mistake("naive_reg_grad_factor", ("grad_naive", "consistency"),
            "The gradient of reg * sum(W * W) is 2 * reg * W, not reg * W.",
            ((_N_REG_GRAD, "dW += REG_SCALE * reg * W"),),
            method="softmax_loss_naive", line=r"\bdW\b.*\breg\b"),
    Mistake("naive_wrong_column", ("grad_naive", "consistency"),
            "The loop over classes adds every class's term to the column of the correct "
            "class: it must add to dW[:, j].",
            ((_N_COLUMN, "dW[:, y[i]] += (probs[j] - (j == y[i])) * X[i]"),),
            method="softmax_loss_naive", line=r"dW\["),
    Mistake("naive_no_max_shift", ("stability",),
            "softmax_loss_naive exponentiates the raw scores: large scores overflow. "
            "Subtract each example's maximum score first.",
            ((_N_SHIFT, "scores = scores"),), method="softmax_loss_naive", line=r"exp"),
    Mistake("naive_not_implemented", ("loss_naive", "grad_naive", "consistency", "stability"),
            "softmax_loss_naive is not implemented yet.",
            transform=method_raises("softmax_loss_naive"), method="softmax_loss_naive"),
)

_VECTORIZED = (
    Mistake("loss_not_averaged", ("loss_vectorized", "consistency"),
            "softmax_loss_vectorized sums the cross-entropy over the examples; take the mean.",
            ((_V_LOSS, _V_LOSS.replace(".mean()", ".sum()")),),
            method="softmax_loss_vectorized", line=_SET_LOSS),
    Mistake("reg_missing_in_loss", ("loss_vectorized", "consistency"),
            "The loss has no regularization term reg * sum(W * W).",
            ((_V_LOSS, "loss = -log_probs[np.arange(N), y].mean()"),),
            method="softmax_loss_vectorized", line=_SET_LOSS),
    Mistake("half_reg_in_loss_only", ("loss_vectorized", "consistency"),
            "The loss uses 0.5 * reg * sum(W * W) while the gradient uses 2 * reg * W; the "
            "loss is reg * sum(W * W).",
            ((_V_LOSS, _V_LOSS.replace("+ REG_SCALE", "+ 0.5 * REG_SCALE")),),
            method="softmax_loss_vectorized", line=_SET_LOSS),
    Mistake("reg_missing_in_gradient", ("grad_vectorized", "consistency"),
            "dW has no regularization term 2 * reg * W.",
            ((_V_GRAD, "dW = X.T.dot(dscores)"),),
            method="softmax_loss_vectorized", line=_SET_DW),
    Mistake("grad_not_averaged", ("grad_vectorized", "consistency"),
            "softmax_loss_vectorized sums the gradient over the examples; divide by N.",
            ((_V_DIVIDE, "pass"),), method="softmax_loss_vectorized", line=_SET_DW),
    Mistake("missing_minus_one", ("grad_vectorized", "consistency", "accuracy"),
            "dW misses the -1 at the correct class: the gradient of the scores is "
            "softmax - one_hot(y).",
            ((_V_MINUS_ONE, "pass"),), method="softmax_loss_vectorized", line=r"dscores"),
    Mistake("no_max_shift", ("stability",),
            "softmax_loss_vectorized exponentiates the raw scores: large scores overflow. "
            "Subtract each row's maximum score first.",
            ((_V_SHIFT, "shifted = scores"),), method="softmax_loss_vectorized", line=r"exp"),
    Mistake("vectorized_not_implemented",
            ("loss_vectorized", "grad_vectorized", "consistency", "stability", "accuracy"),
            "softmax_loss_vectorized is not implemented yet.",
            transform=method_raises("softmax_loss_vectorized"), method="softmax_loss_vectorized"),
)

_CLASSIFIER = (
    Mistake("predict_returns_scores", ("predict", "accuracy"),
            "predict returns the scores X.dot(W); it must return argmax over the classes.",
            ((_ARGMAX, "y_pred = X.dot(self.W)"),), method="predict",
            line=r"argmax|\.dot\(|@"),
    Mistake("reinit_every_call", ("train",),
            "train draws new weights on every call; initialise W only when it is None.",
            ((_INIT, "if True:"),), method="train", line=r"randn"),
    Mistake("init_scale", ("train",),
            "W starts as 0.01 * np.random.randn(...); the assignment uses 0.001.",
            ((_DRAW, "self.W = 0.01 * np.random.randn(dim, num_classes)"),),
            method="train", line=r"randn"),
    Mistake("init_uniform", ("train",),
            "W is drawn with np.random.rand (uniform); use 0.001 * np.random.randn (Gaussian).",
            ((_DRAW, "self.W = 0.001 * np.random.rand(dim, num_classes)"),),
            method="train", line=r"np\.random\.rand\b"),
    Mistake("batch_from_first_rows", ("train",),
            "Minibatches are drawn from the first batch_size rows only; draw from all "
            "num_train rows.",
            ((_SAMPLE, "batch = np.random.choice(batch_size, batch_size, replace=True)"),),
            method="train", line=r"choice"),
    Mistake("batch_size_ignored", ("train",),
            "Each minibatch has a fixed 10 rows; it must have batch_size rows.",
            ((_SAMPLE, "batch = np.random.choice(num_train, 10, replace=True)"),),
            method="train", line=r"choice"),
    Mistake("update_sign", ("train", "accuracy"),
            "The update adds the gradient (W climbs the loss); it is W -= learning_rate * dW.",
            ((_UPDATE, "self.W += learning_rate * grad"),), method="train",
            line=r"self\.W\s*[-+]=|self\.W\s*=\s*self\.W"),
    Mistake("history_not_returned", ("train",),
            "train does not return the list of losses.",
            ((_RETURN, "return None"),), method="train", line=r"^return\b"),
    Mistake("predict_not_implemented", ("predict", "accuracy"),
            "predict is not implemented yet.",
            transform=method_raises("predict"), method="predict"),
    Mistake("train_not_implemented", ("train", "accuracy"),
            "train is not implemented yet.",
            transform=method_raises("train"), method="train"),
)


def _in(file: str, mistakes: tuple[Mistake, ...]) -> tuple[Mistake, ...]:
    return tuple(replace(m, file=file) for m in mistakes)


LOSS_MISTAKES: tuple[Mistake, ...] = _in(LOSS_FILE, _NAIVE + _VECTORIZED)
CLASSIFIER_MISTAKES: tuple[Mistake, ...] = _in(CLASSIFIER_FILE, _CLASSIFIER)
MISTAKES: tuple[Mistake, ...] = LOSS_MISTAKES + CLASSIFIER_MISTAKES
"""Every known mistake, in the order diagnosis prefers them on a tie."""


VARIANTS: tuple[Mistake, ...] = _in(LOSS_FILE, (
    Mistake("naive_log_sum_exp", (), "The naive loss as log(sum(exp(scores))) - scores[y[i]].",
            (("loss += -np.log(probs[y[i]])",
              "loss += np.log(np.sum(np.exp(scores))) - scores[y[i]]"),)),
    Mistake("vectorized_one_hot", (), "The -1 at the correct class subtracted as a one-hot matrix.",
            ((_V_MINUS_ONE, "dscores -= np.eye(W.shape[1])[y]"),)),
    Mistake("vectorized_divides_dW", (), "dW divided by N instead of the scores' gradient.",
            ((_V_DIVIDE, "pass"),
             (_V_GRAD, "dW = X.T.dot(dscores) / N + 2 * REG_SCALE * reg * W"))),
)) + _in(CLASSIFIER_FILE, (
    Mistake("predict_matmul", (), "predict with the @ operator.",
            ((_ARGMAX, "y_pred = np.argmax(X @ self.W, axis=1)"),)),
    Mistake("minibatch_without_replacement", (), "Minibatches drawn without replacement.",
            ((_SAMPLE, "batch = np.random.choice(num_train, batch_size, replace=False)"),)),
))
"""Changes that still meet the specification: each must score full marks, no mistake named."""


def apply_mistake(sources: dict[str, str], mistake: Mistake) -> dict[str, str]:
    """The course sources (file name -> text) with ``mistake`` made in its file."""
    return with_mistake(sources, mistake, LOSS_FILE)


def load_mutant(sources: dict[str, str], reg_scale: float, name: str) -> CourseModules:
    """A mutant for :func:`grader.mistakes.library_for`: both course files as one package."""
    return load_sources(sources, reg_scale)
