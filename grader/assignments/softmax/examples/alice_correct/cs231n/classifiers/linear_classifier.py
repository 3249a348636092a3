"""A linear classifier trained with minibatch SGD: YOUR implementation.

``LinearClassifier`` holds the weights ``self.W`` (D, C) and trains them;
subclasses say which loss: ``Softmax`` uses ``softmax_loss_vectorized``.

Every TODO block ends in ``raise NotImplementedError``. Replace the block
with your code and delete the ``raise`` line. Do not change the method
names, their arguments or what they return. Use numpy only.
"""

import numpy as np

from .softmax import softmax_loss_vectorized


class LinearClassifier:
    """Scores ``X.dot(W)``; the loss is defined by subclasses."""

    def __init__(self):
        self.W = None

    def train(self, X, y, learning_rate=1e-3, reg=1e-5, num_iters=100,
              batch_size=200, verbose=False):
        """Train the classifier with minibatch stochastic gradient descent.

        Args:
            X: training data, shape (N, D).
            y: training labels, shape (N,), integers with 0 <= y[i] < C.
            learning_rate: step size of each update.
            reg: regularization strength.
            num_iters: number of steps.
            batch_size: number of examples in each step's minibatch.
            verbose: print the loss every 100 iterations.

        Returns:
            The list of the loss at every iteration.
        """
        num_train, dim = X.shape
        num_classes = np.max(y) + 1  # y takes values 0 ... K-1
        if self.W is None:
            # Lazily initialise W, once: a second call to train continues.
            self.W = 0.001 * np.random.randn(dim, num_classes)

        loss_history = []
        for it in range(num_iters):
            X_batch = None
            y_batch = None
            ###################################################################
            # TODO: Sample batch_size rows of X and their labels into X_batch #
            # and y_batch, with replacement, using one call of               #
            # np.random.choice per iteration.                                 #
            ###################################################################
            batch = np.random.choice(num_train, batch_size, replace=True)
            X_batch, y_batch = X[batch], y[batch]

            loss, grad = self.loss(X_batch, y_batch, reg)
            loss_history.append(loss)

            ###################################################################
            # TODO: Update the weights with the gradient and the learning     #
            # rate.                                                           #
            ###################################################################
            self.W -= learning_rate * grad

            if verbose and it % 100 == 0:
                print(f"iteration {it} / {num_iters}: loss {loss:f}")

        return loss_history

    def predict(self, X):
        """The predicted label of every row of X: an integer array of shape (N,)."""
        y_pred = np.zeros(X.shape[0])
        ###################################################################
        # TODO: Predict the label with the highest score.                 #
        ###################################################################
        y_pred = np.argmax(X.dot(self.W), axis=1)
        return y_pred

    def loss(self, X_batch, y_batch, reg):
        """The loss and its gradient on a minibatch: ``(loss, dW)``. Subclasses override this."""
        raise NotImplementedError("LinearClassifier.loss is defined by subclasses")


class Softmax(LinearClassifier):
    """A linear classifier with the softmax cross-entropy loss."""

    def loss(self, X_batch, y_batch, reg):
        return softmax_loss_vectorized(self.W, X_batch, y_batch, reg)
