"""A two-layer fully connected network with a softmax loss: YOUR implementation.

The network computes ``softmax(relu(X W1 + b1) W2 + b2)`` and is trained with
minibatch stochastic gradient descent. The loss is the mean softmax
cross-entropy plus L2 regularization of the weights (never the biases).

Every method below is a TODO block that ends in ``raise NotImplementedError``.
Replace each block with your code and delete its ``raise`` line. Do not change
the method names, their arguments or what they return: the notebook and the
autograder call them exactly as documented. Use numpy only; no loops over
examples are needed.
"""

import numpy as np
### BEGIN SOLUTION

# The reference solution. `grader release` writes the students' starter from
# this file: each SOLUTION block is replaced by the STUDENT block after it.

REG_SCALE = 1.0
"""Regularization is ``REG_SCALE * reg * (sum(W1**2) + sum(W2**2))``.

The grader sets this to 0.5 on its private copy when a rubric selects the
older ``0.5 * reg`` convention.
"""
### END SOLUTION


class TwoLayerNet:
    """Input (D) -> fully connected (H) -> ReLU -> fully connected (C) -> softmax.

    The learnable parameters live in the dict ``self.params``:

    * ``W1``: first-layer weights, shape (D, H)
    * ``b1``: first-layer biases, shape (H,)
    * ``W2``: second-layer weights, shape (H, C)
    * ``b2``: second-layer biases, shape (C,)
    """

    def __init__(self, input_size, hidden_size, output_size, std=1e-4):
        """Initialize the parameters.

        Weights start as small random values, ``std * np.random.randn(...)``;
        biases start at zero. Store them in ``self.params`` under the keys
        "W1", "b1", "W2", "b2" with the shapes listed in the class docstring.

        Args:
            input_size: dimension D of the input rows.
            hidden_size: number H of hidden units.
            output_size: number C of classes.
            std: standard deviation of the initial weights.
        """
        self.params = {}
        #######################################################################
        # TODO: Initialize W1, b1, W2 and b2 in self.params.                  #
        # Draw W1 before W2, each with a single np.random.randn call, so that #
        # a given np.random.seed gives the same network as everyone else's.   #
        #######################################################################
        ### BEGIN SOLUTION
        self.params["W1"] = std * np.random.randn(input_size, hidden_size)
        self.params["b1"] = np.zeros(hidden_size)
        self.params["W2"] = std * np.random.randn(hidden_size, output_size)
        self.params["b2"] = np.zeros(output_size)
        ### END SOLUTION
        ### BEGIN STUDENT
        # raise NotImplementedError("TwoLayerNet.__init__: not implemented yet (see the TODO above)")
        ### END STUDENT
        #######################################################################
        #                          END OF YOUR CODE                           #
        #######################################################################

    def loss(self, X, y=None, reg=0.0):
        """Return class scores (N, C) when ``y`` is None, else ``(loss, grads)``.

        Args:
            X: input data, shape (N, D); each row is one example.
            y: training labels, shape (N,), integers with 0 <= y[i] < C; or
                None to ask for the scores only.
            reg: regularization strength.

        Returns:
            If ``y`` is None: ``scores``, shape (N, C), where ``scores[i, c]``
            is the (unnormalized) score of class c for example i.

            Otherwise ``(loss, grads)``:

            * ``loss``: a float, the mean softmax cross-entropy over the N
              examples plus ``reg * (np.sum(W1**2) + np.sum(W2**2))``. The
              biases are not regularized, and there is no factor 0.5.
            * ``grads``: dict with the same keys as ``self.params``; each
              value is the gradient of ``loss`` with respect to that
              parameter, with the same shape.
        """
        W1, b1 = self.params["W1"], self.params["b1"]
        W2, b2 = self.params["W2"], self.params["b2"]
        N, D = X.shape

        # Forward pass: compute the class scores.
        scores = None
        #######################################################################
        # TODO: Compute the scores of every example: first layer, ReLU,       #
        # second layer. Store them in `scores`, an array of shape (N, C).     #
        # Do not apply the softmax here.                                      #
        #######################################################################
        ### BEGIN SOLUTION
        hidden_pre = X.dot(W1) + b1
        hidden = np.maximum(0, hidden_pre)
        scores = hidden.dot(W2) + b2
        ### END SOLUTION
        ### BEGIN STUDENT
        # raise NotImplementedError("TwoLayerNet.loss: not implemented yet (see the TODO above)")
        ### END STUDENT
        #######################################################################
        #                          END OF YOUR CODE                           #
        #######################################################################

        # Without labels we are done.
        if y is None:
            return scores

        # Loss.
        loss = None
        #######################################################################
        # TODO: Compute the loss: the mean over the N examples of the softmax #
        # cross-entropy, plus reg * (sum(W1**2) + sum(W2**2)). Leave b1 and   #
        # b2 out of the regularization. Store the result (a float) in `loss`. #
        # Subtract each row's maximum score before exponentiating so that     #
        # np.exp cannot overflow; this does not change the softmax.           #
        #######################################################################
        ### BEGIN SOLUTION
        # Shifting by the row maximum changes nothing mathematically but keeps
        # exp() from overflowing when scores are large.
        shifted = scores - scores.max(axis=1, keepdims=True)
        log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        data_loss = -log_probs[np.arange(N), y].mean()
        reg_loss = REG_SCALE * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))
        loss = data_loss + reg_loss
        ### END SOLUTION
        ### BEGIN STUDENT
        # raise NotImplementedError("TwoLayerNet.loss: not implemented yet (see the TODO above)")
        ### END STUDENT
        #######################################################################
        #                          END OF YOUR CODE                           #
        #######################################################################

        # Backward pass: compute the gradients.
        grads = {}
        #######################################################################
        # TODO: Compute the derivative of `loss` with respect to W1, b1, W2   #
        # and b2 and store them in grads["W1"], grads["b1"], grads["W2"] and  #
        # grads["b2"]. Remember the regularization term of W1 and W2 (its     #
        # derivative is 2 * reg * W) and that the data loss is a mean over N. #
        #######################################################################
        ### BEGIN SOLUTION
        dscores = np.exp(log_probs)
        dscores[np.arange(N), y] -= 1
        dscores /= N
        grads["W2"] = hidden.T.dot(dscores) + 2 * REG_SCALE * reg * W2
        grads["b2"] = dscores.sum(axis=0)
        dhidden = dscores.dot(W2.T)
        dhidden[hidden_pre <= 0] = 0
        grads["W1"] = X.T.dot(dhidden) + 2 * REG_SCALE * reg * W1
        grads["b1"] = dhidden.sum(axis=0)
        ### END SOLUTION
        ### BEGIN STUDENT
        # raise NotImplementedError("TwoLayerNet.loss: not implemented yet (see the TODO above)")
        ### END STUDENT
        #######################################################################
        #                          END OF YOUR CODE                           #
        #######################################################################

        return loss, grads

    def train(self, X, y, X_val, y_val, learning_rate=1e-3, learning_rate_decay=0.95,
              reg=5e-6, num_iters=100, batch_size=200, verbose=False):
        """Minibatch SGD; the learning rate decays once per epoch.

        Args:
            X: training data, shape (N, D).
            y: training labels, shape (N,).
            X_val: validation data, shape (N_val, D).
            y_val: validation labels, shape (N_val,).
            learning_rate: step size of the parameter updates.
            learning_rate_decay: factor the learning rate is multiplied by
                after each epoch.
            reg: regularization strength (passed on to ``loss``).
            num_iters: number of SGD steps.
            batch_size: number of examples per step.
            verbose: print the loss every 100 iterations.

        Returns:
            A dict with
            ``"loss_history"``: the minibatch loss of every iteration (floats);
            ``"train_acc_history"``: accuracy on the current minibatch, once per epoch;
            ``"val_acc_history"``: accuracy on ``(X_val, y_val)``, once per epoch.
        """
        num_train = X.shape[0]
        iterations_per_epoch = max(num_train // batch_size, 1)

        loss_history = []
        train_acc_history = []
        val_acc_history = []
        #######################################################################
        # TODO: Run `num_iters` iterations of SGD. In each iteration:         #
        #   1. Sample a minibatch of `batch_size` examples WITH replacement:  #
        #      batch = np.random.choice(num_train, batch_size, replace=True), #
        #      then X_batch = X[batch] and y_batch = y[batch].                #
        #   2. Compute the loss and gradients on the minibatch with           #
        #      self.loss(..., reg=reg); append the loss to loss_history.      #
        #   3. Update every parameter: param -= learning_rate * gradient.     #
        #   4. If verbose and it % 100 == 0, print the iteration and loss.    #
        #   5. Once per epoch, i.e. when it % iterations_per_epoch == 0:      #
        #      record the minibatch and validation accuracies, then multiply  #
        #      learning_rate by learning_rate_decay. (Not every iteration!)   #
        #######################################################################
        ### BEGIN SOLUTION
        for it in range(num_iters):
            batch = np.random.choice(num_train, size=batch_size, replace=True)
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
        ### END SOLUTION
        ### BEGIN STUDENT
        # raise NotImplementedError("TwoLayerNet.train: not implemented yet (see the TODO above)")
        ### END STUDENT
        #######################################################################
        #                          END OF YOUR CODE                           #
        #######################################################################

        return {
            "loss_history": loss_history,
            "train_acc_history": train_acc_history,
            "val_acc_history": val_acc_history,
        }

    def predict(self, X):
        """Return the predicted label (int, shape (N,)) of each row of ``X``.

        The prediction for an example is the class with the highest score.

        Args:
            X: data, shape (N, D).

        Returns:
            y_pred: integer array of shape (N,), each value in 0..C-1.
        """
        y_pred = None
        #######################################################################
        # TODO: Compute the scores with the current parameters and return the #
        # index of the highest score of each row.                             #
        #######################################################################
        ### BEGIN SOLUTION
        hidden = np.maximum(0, X.dot(self.params["W1"]) + self.params["b1"])
        scores = hidden.dot(self.params["W2"]) + self.params["b2"]
        return np.argmax(scores, axis=1)
        ### END SOLUTION
        ### BEGIN STUDENT
        # raise NotImplementedError("TwoLayerNet.predict: not implemented yet (see the TODO above)")
        ### END STUDENT
        #######################################################################
        #                          END OF YOUR CODE                           #
        #######################################################################

        return y_pred
