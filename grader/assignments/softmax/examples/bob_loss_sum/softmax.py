"""The softmax loss and its gradient: YOUR implementation.

Both functions take the same arguments and return the same values; the first
uses explicit loops, the second none. The loss is the mean softmax
cross-entropy over the N examples plus the L2 regularization
``reg * np.sum(W * W)`` (no factor 0.5); ``dW`` is its gradient.

Every TODO block ends in ``raise NotImplementedError``. Replace the block
with your code and delete the ``raise`` line. Do not change the function
names, their arguments or what they return. Use numpy only.
"""

import numpy as np



def softmax_loss_naive(W, X, y, reg):
    """Softmax loss and gradient, with explicit loops.

    Args:
        W: weights, shape (D, C).
        X: a minibatch of data, shape (N, D); each row is one example.
        y: labels, shape (N,), integers with 0 <= y[i] < C.
        reg: regularization strength.

    Returns:
        ``(loss, dW)``: the loss as a float and its gradient with respect to
        ``W``, an array of the same shape as ``W``.
    """
    loss = 0.0
    dW = np.zeros_like(W)
    ###########################################################################
    # TODO: Compute the loss and its gradient with explicit loops over the   #
    # examples (and classes). Subtract the largest score of each example     #
    # before exponentiating, or large scores overflow.                       #
    ###########################################################################
    num_train = X.shape[0]
    num_classes = W.shape[1]
    for i in range(num_train):
        scores = X[i].dot(W)
        scores = scores - np.max(scores)
        probs = np.exp(scores) / np.sum(np.exp(scores))
        loss += -np.log(probs[y[i]])
        for j in range(num_classes):
            dW[:, j] += (probs[j] - (j == y[i])) * X[i]
    loss /= num_train
    dW /= num_train
    loss += reg * np.sum(W * W)
    dW += 2 * reg * W
    ###########################################################################
    #                            END OF YOUR CODE                             #
    ###########################################################################
    return loss, dW


def softmax_loss_vectorized(W, X, y, reg):
    """Softmax loss and gradient, without loops: same arguments and results as the naive one."""
    loss = 0.0
    dW = np.zeros_like(W)
    ###########################################################################
    # TODO: Compute the loss and its gradient without any explicit loop.     #
    # Subtract the largest score of each example before exponentiating.     #
    ###########################################################################
    N = X.shape[0]
    scores = X.dot(W)
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[np.arange(N), y].sum() + reg * np.sum(W * W)
    dscores = np.exp(log_probs)
    dscores[np.arange(N), y] -= 1
    dscores /= N
    dW = X.T.dot(dscores) + 2 * reg * W
    ###########################################################################
    #                            END OF YOUR CODE                             #
    ###########################################################################
    return loss, dW
