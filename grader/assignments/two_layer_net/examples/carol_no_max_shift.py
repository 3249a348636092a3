# Two-layer net for assignment 1
import numpy as np


class TwoLayerNet:

    def __init__(self, input_size, hidden_size, output_size, std=1e-4):
        W1 = std * np.random.randn(input_size, hidden_size)
        W2 = std * np.random.randn(hidden_size, output_size)
        self.params = {'W1': W1, 'b1': np.zeros(hidden_size),
                       'W2': W2, 'b2': np.zeros(output_size)}

    def forward(self, X):
        p = self.params
        pre = X @ p['W1'] + p['b1']
        hid = np.maximum(0, pre)
        return pre, hid, hid @ p['W2'] + p['b2']

    def loss(self, X, y=None, reg=0.0):
        W1, W2 = self.params['W1'], self.params['W2']
        n = len(X)
        pre, hid, scores = self.forward(X)
        if y is None:
            return scores

        e = np.exp(scores)
        probs = e / e.sum(axis=1, keepdims=True)
        loss = -np.log(probs[np.arange(n), y]).mean()
        loss = loss + reg * ((W1 ** 2).sum() + (W2 ** 2).sum())

        d = probs
        d[np.arange(n), y] -= 1
        d /= n
        dhid = d @ W2.T
        dpre = dhid * (pre > 0)
        grads = {
            'W1': X.T @ dpre + 2 * reg * W1,
            'b1': dpre.sum(axis=0),
            'W2': hid.T @ d + 2 * reg * W2,
            'b2': d.sum(axis=0),
        }
        return loss, grads

    def train(self, X, y, X_val, y_val, learning_rate=1e-3, learning_rate_decay=0.95,
              reg=5e-6, num_iters=100, batch_size=200, verbose=False):
        num_train = X.shape[0]
        iterations_per_epoch = max(num_train // batch_size, 1)
        history = {'loss_history': [], 'train_acc_history': [], 'val_acc_history': []}

        for it in range(num_iters):
            rows = np.random.choice(num_train, batch_size)
            X_batch, y_batch = X[rows], y[rows]
            loss, grads = self.loss(X_batch, y_batch, reg)
            history['loss_history'].append(loss)
            for k in self.params:
                self.params[k] -= learning_rate * grads[k]
            if verbose and it % 100 == 0:
                print(f'iteration {it} / {num_iters}: loss {loss:f}')
            if it % iterations_per_epoch == 0:
                history['train_acc_history'].append(np.mean(self.predict(X_batch) == y_batch))
                history['val_acc_history'].append(np.mean(self.predict(X_val) == y_val))
                learning_rate *= learning_rate_decay
        return history

    def predict(self, X):
        return self.forward(X)[2].argmax(axis=1)
