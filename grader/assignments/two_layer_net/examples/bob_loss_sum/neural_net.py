import numpy as np


class TwoLayerNet(object):
    """affine -> relu -> affine -> softmax"""

    def __init__(self, input_size, hidden_size, output_size, std=1e-4):
        self.params = {}
        self.params['W1'] = std * np.random.randn(input_size, hidden_size)
        self.params['b1'] = np.zeros(hidden_size)
        self.params['W2'] = std * np.random.randn(hidden_size, output_size)
        self.params['b2'] = np.zeros(output_size)

    def loss(self, X, y=None, reg=0.0):
        W1, b1 = self.params['W1'], self.params['b1']
        W2, b2 = self.params['W2'], self.params['b2']
        N, D = X.shape

        z = X.dot(W1) + b1
        a = np.maximum(z, 0)
        scores = a.dot(W2) + b2
        if y is None:
            return scores

        scores = scores - scores.max(axis=1).reshape(-1, 1)
        softmax = np.exp(scores) / np.exp(scores).sum(axis=1).reshape(-1, 1)
        loss = np.sum(-np.log(softmax[range(N), y]))
        loss += reg * np.sum(W1 ** 2) + reg * np.sum(W2 ** 2)

        grads = {}
        dout = softmax.copy()
        dout[range(N), y] -= 1
        dout = dout / N
        grads['W2'] = a.T.dot(dout) + 2 * reg * W2
        grads['b2'] = dout.sum(axis=0)
        da = dout.dot(W2.T)
        dz = da * (z > 0)
        grads['W1'] = X.T.dot(dz) + 2 * reg * W1
        grads['b1'] = dz.sum(axis=0)
        return loss, grads

    def train(self, X, y, X_val, y_val,
              learning_rate=1e-3, learning_rate_decay=0.95,
              reg=5e-6, num_iters=100,
              batch_size=200, verbose=False):
        num_train = X.shape[0]
        iterations_per_epoch = max(num_train // batch_size, 1)

        loss_history = []
        train_acc_history = []
        val_acc_history = []

        for it in range(num_iters):
            idx = np.random.choice(num_train, batch_size, replace=True)
            X_batch = X[idx]
            y_batch = y[idx]

            loss, grads = self.loss(X_batch, y=y_batch, reg=reg)
            loss_history.append(loss)

            for p in self.params:
                self.params[p] -= learning_rate * grads[p]

            if verbose and it % 100 == 0:
                print('iteration %d / %d: loss %f' % (it, num_iters, loss))

            if it % iterations_per_epoch == 0:
                train_acc_history.append((self.predict(X_batch) == y_batch).mean())
                val_acc_history.append((self.predict(X_val) == y_val).mean())
                learning_rate *= learning_rate_decay

        return {
            'loss_history': loss_history,
            'train_acc_history': train_acc_history,
            'val_acc_history': val_acc_history,
        }

    def predict(self, X):
        a = np.maximum(X.dot(self.params['W1']) + self.params['b1'], 0)
        return np.argmax(a.dot(self.params['W2']) + self.params['b2'], axis=1)
