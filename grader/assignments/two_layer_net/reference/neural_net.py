"""Reference solution: a two-layer fully connected network with a softmax loss.

The network computes ``softmax(relu(X W1 + b1) W2 + b2)`` and is trained with
minibatch stochastic gradient descent. The loss is the mean softmax
cross-entropy plus L2 regularization of the weights (never the biases).
"""

from __future__ import annotations

import numpy as np

REG_SCALE = 1.0
"""Regularization is ``REG_SCALE * reg * (sum(W1**2) + sum(W2**2))``.

The grader sets this to 0.5 on its private copy when a rubric selects the
older ``0.5 * reg`` convention.
"""


class TwoLayerNet:
    """Input (D) -> fully connected (H) -> ReLU -> fully connected (C) -> softmax."""

    def __init__(self, input_size, hidden_size, output_size, std=1e-4):
        self.params = {}
        self.params["W1"] = std * np.random.randn(input_size, hidden_size)
        self.params["b1"] = np.zeros(hidden_size)
        self.params["W2"] = std * np.random.randn(hidden_size, output_size)
        self.params["b2"] = np.zeros(output_size)

    def loss(self, X, y=None, reg=0.0):
        """Return class scores (N, C) when ``y`` is None, else ``(loss, grads)``."""
        W1, b1 = self.params["W1"], self.params["b1"]
        W2, b2 = self.params["W2"], self.params["b2"]
        N = X.shape[0]

        hidden_pre = X.dot(W1) + b1
        hidden = np.maximum(0, hidden_pre)
        scores = hidden.dot(W2) + b2
        if y is None:
            return scores

        # Shifting by the row maximum changes nothing mathematically but keeps
        # exp() from overflowing when scores are large.
        shifted = scores - scores.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        data_loss = -log_probs[np.arange(N), y].mean()
        reg_loss = REG_SCALE * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        loss = data_loss + reg_loss

        dscores = np.exp(log_probs)
        dscores[np.arange(N), y] -= 1
        dscores /= N
        grads = {}
        grads["W2"] = hidden.T.dot(dscores) + 2 * REG_SCALE * reg * W2
        grads["b2"] = dscores.sum(axis=0)
        dhidden = dscores.dot(W2.T)
        dhidden[hidden_pre <= 0] = 0
        grads["W1"] = X.T.dot(dhidden) + 2 * REG_SCALE * reg * W1
        grads["b1"] = dhidden.sum(axis=0)
        return loss, grads

    def train(self, X, y, X_val, y_val, learning_rate=1e-3, learning_rate_decay=0.95,
              reg=5e-6, num_iters=100, batch_size=200, verbose=False):
        """Minibatch SGD; the learning rate decays once per epoch."""
        num_train = X.shape[0]
        iterations_per_epoch = max(num_train // batch_size, 1)

        loss_history = []
        train_acc_history = []
        val_acc_history = []
        for it in range(num_iters):
            batch = np.random.choice(num_train, batch_size, replace=True)
            X_batch, y_batch = X[batch], y[batch]

            loss, grads = self.loss(X_batch, y=y_batch, reg=reg)
            loss_history.append(float(loss))
            for name in self.params:
                self.params[name] -= learning_rate * grads[name]

            if verbose and it % 100 == 0:
                print(f"iteration {it} / {num_iters}: loss {loss:f}")

            if it % iterations_per_epoch == 0:
                train_acc_history.append(float((self.predict(X_batch) == y_batch).mean()))
                val_acc_history.append(float((self.predict(X_val) == y_val).mean()))
                learning_rate *= learning_rate_decay

        return {
            "loss_history": loss_history,
            "train_acc_history": train_acc_history,
            "val_acc_history": val_acc_history,
        }

    def predict(self, X):
        """Return the predicted label (int, shape (N,)) of each row of ``X``."""
        hidden = np.maximum(0, X.dot(self.params["W1"]) + self.params["b1"])
        scores = hidden.dot(self.params["W2"]) + self.params["b2"]
        return np.argmax(scores, axis=1)
