"""Known mistakes of the two-layer-net assignment, as changes to the reference.

Each entry names a mistake students make, the checks it fails, and what to
tell them. The patches change code lines of the reference (never comments),
so they keep applying when comment lines are added around the code. The test
suite builds one fixture submission per entry and checks that exactly the
declared checks fail; grading compares a failing submission's outputs with
each entry's to name its mistake.
"""

from __future__ import annotations

from ...mistakes import Mistake, method_raises

_ALL = ("init", "scores", "loss", "grad_W1", "grad_b1", "grad_W2", "grad_b2", "stability",
        "train", "predict", "accuracy")
_GRADS = ("grad_W1", "grad_b1", "grad_W2", "grad_b2")

_W1_INIT = 'self.params["W1"] = std * np.random.randn(input_size, hidden_size)'
_W2_INIT = 'self.params["W2"] = std * np.random.randn(hidden_size, output_size)'
_B1_INIT = 'self.params["b1"] = np.zeros(hidden_size)'
_B2_INIT = 'self.params["b2"] = np.zeros(output_size)'
_HIDDEN_PRE = "hidden_pre = X.dot(W1) + b1"
_RELU = "hidden = np.maximum(0, hidden_pre)"
_SCORES = "scores = hidden.dot(W2) + b2"
_SHIFT = "shifted = scores - scores.max(axis=1, keepdims=True)"
_DATA_LOSS = "data_loss = -log_probs[np.arange(N), y].mean()"
_REG_LOSS = "reg_loss = REG_SCALE * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))"
_TOTAL = "loss = data_loss + reg_loss"
_MINUS_ONE = "dscores[np.arange(N), y] -= 1"
_DIVIDE = "dscores /= N"
_GW2 = 'grads["W2"] = hidden.T.dot(dscores) + 2 * REG_SCALE * reg * W2'
_GB2 = 'grads["b2"] = dscores.sum(axis=0)'
_MASK = "dhidden[hidden_pre <= 0] = 0"
_GW1 = 'grads["W1"] = X.T.dot(dhidden) + 2 * REG_SCALE * reg * W1'
_GB1 = 'grads["b1"] = dhidden.sum(axis=0)'
_SAMPLE = "batch = np.random.choice(num_train, size=batch_size, replace=True)"
_BATCH = "X_batch, y_batch = X[batch], y[batch]"
_CALL = "loss, grads = self.loss(X_batch, y=y_batch, reg=reg)"
_LOOP = "for name in self.params:"
_UPDATE = "self.params[name] -= learning_rate * grads[name]"
_EPOCH = "if it % iterations_per_epoch == 0:"
_DECAY = "learning_rate *= learning_rate_decay"
_VERBOSE = 'print(f"iteration {it} / {num_iters}: loss {loss:f}")'
_HISTORY = '"loss_history": loss_history,'
_P_HIDDEN = 'hidden = np.maximum(0, X.dot(self.params["W1"]) + self.params["b1"])'
_P_SCORES = 'scores = hidden.dot(self.params["W2"]) + self.params["b2"]'
_ARGMAX = "return np.argmax(scores, axis=1)"

_INIT = (
    Mistake("init_ignores_std", ("init",),
            "__init__ ignores its std argument: the weights must be std * np.random.randn(...).",
            ((_W1_INIT, _W1_INIT.replace("std *", "1e-4 *")),
             (_W2_INIT, _W2_INIT.replace("std *", "1e-4 *"))),
            method="__init__", line=r"randn"),
    Mistake("init_offsets_biases", ("init",),
            "The biases start at 0.01 instead of zero.",
            ((_B1_INIT, 'self.params["b1"] = 0.01 * np.ones(hidden_size)'),
             (_B2_INIT, 'self.params["b2"] = 0.01 * np.ones(output_size)')),
            method="__init__", line=r"b1"),
    Mistake("init_draws_W2_first", ("init",),
            "W2 is drawn before W1: draw W1 first, then W2, so the random numbers match.",
            ((_W1_INIT, "W2 = std * np.random.randn(hidden_size, output_size); " + _W1_INIT),
             (_W2_INIT, 'self.params["W2"] = W2')),
            method="__init__", line=r"randn"),
    Mistake("init_uniform_weights", ("init",),
            "The weights are drawn with np.random.rand (uniform); use np.random.randn "
            "(Gaussian).",
            ((_W1_INIT, _W1_INIT.replace("randn", "rand")),
             (_W2_INIT, _W2_INIT.replace("randn", "rand"))),
            method="__init__", line=r"np\.random\.rand\b"),
    Mistake("init_W1_transposed", ("init", "accuracy"),
            "W1 is created with shape (hidden_size, input_size); it must be "
            "(input_size, hidden_size).",
            ((_W1_INIT, _W1_INIT.replace("(input_size, hidden_size)",
                                         "(hidden_size, input_size)")),),
            method="__init__", line=r"W1"),
    Mistake("init_not_implemented", ("init", "accuracy"), "__init__ is not implemented yet.",
            transform=method_raises("__init__"), method="__init__"),
)

_FORWARD = (
    Mistake("forward_missing_b1", ("scores", "loss", *_GRADS),
            "The forward pass in loss() leaves out b1: the hidden layer is relu(X W1 + b1).",
            ((_HIDDEN_PRE, "hidden_pre = X.dot(W1)"),), method="loss", line=r"dot\(\s*W1|@\s*W1|dot\(X,\s*W1"),
    Mistake("forward_missing_b2", ("scores", "loss", *_GRADS),
            "The forward pass in loss() leaves out b2: the scores are hidden W2 + b2.",
            ((_SCORES, "scores = hidden.dot(W2)"),), method="loss", line=r"scores\s*="),
    Mistake("forward_no_relu", ("scores", "loss", *_GRADS),
            "The forward pass in loss() has no ReLU: the hidden layer is max(0, X W1 + b1).",
            ((_RELU, "hidden = hidden_pre"),), method="loss", line=r"hidden\s*="),
    Mistake("forward_relu_on_scores", ("scores", "loss", *_GRADS, "stability"),
            "loss() applies a ReLU to the output scores; only the hidden layer has one.",
            ((_SCORES, "scores = np.maximum(0, hidden.dot(W2) + b2)"),),
            method="loss", line=r"scores\s*="),
    Mistake("loss_not_implemented",
            ("scores", "loss", *_GRADS, "stability", "accuracy"),
            "loss() is not implemented yet.", transform=method_raises("loss"), method="loss"),
)

_LOSS = (
    Mistake("loss_summed_not_averaged", ("loss",),
            "The data loss is summed over the N examples instead of averaged.",
            ((_DATA_LOSS, _DATA_LOSS.replace(".mean()", ".sum()")),),
            method="loss", line=r"arange\(.*\),\s*y\]"),
    Mistake("reg_product", ("loss",),
            "The regularization multiplies sum(W1**2) by sum(W2**2) instead of adding them.",
            ((_REG_LOSS, _REG_LOSS.replace(") + np.sum(", ") * np.sum(")),),
            method="loss", line=r"\breg\b"),
    Mistake("reg_missing_from_loss", ("loss",),
            "The regularization term is missing from the loss (the gradients have it).",
            ((_TOTAL, "loss = data_loss"),), method="loss", line=r"^loss\s*="),
    Mistake("half_reg_convention", ("loss", "grad_W1", "grad_W2"),
            "The regularization uses 0.5 * reg * sum(W**2) where this assignment uses "
            "reg * sum(W**2) (and its gradient 2 * reg * W).",
            ((_REG_LOSS, "reg_loss = 0.5 * reg * (np.sum(W1 * W1) + np.sum(W2 * W2))"),
             (_GW2, 'grads["W2"] = hidden.T.dot(dscores) + reg * W2'),
             (_GW1, 'grads["W1"] = X.T.dot(dhidden) + reg * W1')),
            method="loss", line=r"\breg\b"),
    Mistake("bias_reg_in_loss", ("loss",),
            "The biases are regularized in the loss; only W1 and W2 should be.",
            ((_REG_LOSS, _REG_LOSS[:-1] + " + np.sum(b1 * b1) + np.sum(b2 * b2))"),),
            method="loss", line=r"\breg\b"),
    Mistake("biases_regularized_half_reg", ("loss",),
            "The loss adds 0.5 * reg * sum(b**2): the biases are not regularized at all.",
            ((_REG_LOSS, _REG_LOSS + " + 0.5 * reg * (np.sum(b1 * b1) + np.sum(b2 * b2))"),),
            method="loss", line=r"\breg\b"),
    Mistake("bias_reg_in_grad", ("grad_b1", "grad_b2"),
            "The bias gradients get a regularization term; biases are not regularized.",
            ((_GB2, _GB2 + " + 2 * REG_SCALE * reg * b2"),
             (_GB1, _GB1 + " + 2 * REG_SCALE * reg * b1")),
            method="loss", line=r"""grads\[['"]b[12]['"]\]\s*="""),
    Mistake("bias_reg_in_both", ("loss", "grad_b1", "grad_b2"),
            "The biases are regularized, in the loss and in their gradients; only W1 and W2 "
            "should be.",
            ((_REG_LOSS, _REG_LOSS[:-1] + " + np.sum(b1 * b1) + np.sum(b2 * b2))"),
             (_GB2, _GB2 + " + 2 * REG_SCALE * reg * b2"),
             (_GB1, _GB1 + " + 2 * REG_SCALE * reg * b1")),
            method="loss", line=r"\breg\b"),
    Mistake("softmax_no_max_shift", ("stability",),
            "The softmax does not subtract each row's maximum score before exp(), so it "
            "overflows on large scores.",
            ((_SHIFT, "shifted = scores"),), method="loss", line=r"shifted\s*=|exp\("),
    Mistake("loss_picks_all_rows_for_each_label", ("loss",),
            "The correct-class log-probabilities are indexed as log_probs[:, y] (an N x N "
            "block) instead of log_probs[np.arange(N), y].",
            ((_DATA_LOSS, "data_loss = -log_probs[:, y].mean()"),),
            method="loss", line=r"\[:, *y\]"),
)

_BACKWARD = (
    Mistake("relu_mask_missing", ("grad_W1", "grad_b1"),
            "The backward pass does not zero the gradient where the ReLU was inactive "
            "(dhidden[hidden_pre <= 0] = 0 is missing).",
            ((_MASK, "pass"),), method="loss", line=r"dhidden\s*="),
    Mistake("grad_reg_missing_factor_2", ("grad_W1", "grad_W2"),
            "The weight gradients use reg * W; the derivative of reg * sum(W**2) is "
            "2 * reg * W.",
            ((_GW2, _GW2.replace("2 * REG_SCALE", "REG_SCALE")),
             (_GW1, _GW1.replace("2 * REG_SCALE", "REG_SCALE"))),
            method="loss", line=r"""grads\[['"]W[12]['"]\]\s*="""),
    Mistake("grad_W1_gets_W2_reg", ("grad_W1",),
            "W1's gradient gets the regularization of W2 instead of 2 * reg * W1.",
            ((_GW1, _GW1.replace("* W1", "* np.sum(W2)")),),
            method="loss", line=r"""grads\[['"]W1['"]\]\s*="""),
    Mistake("grad_W1_overwritten_by_b1", ("grad_W1", "accuracy"),
            "grads['W1'] is overwritten with the bias gradient.",
            ((_GB1, 'grads["W1"] = ' + _GB1),),
            method="loss", line=r"""grads\[['"]W1['"]\].*b1"""),
    Mistake("bias_grad_shape_1xH", ("grad_b1", "grad_b2"),
            "The bias gradients keep a leading axis: sum with axis=0 and no keepdims, so they "
            "have the biases' shapes (H,) and (C,).",
            ((_GB2, _GB2.replace("axis=0", "axis=0, keepdims=True")),
             (_GB1, _GB1.replace("axis=0", "axis=0, keepdims=True")),
             (_UPDATE, "self.params[name] = self.params[name] - learning_rate * grads[name]")),
            method="loss", line=r"""grads\[['"]b[12]['"]\]\s*="""),
    Mistake("matrix_bias_grad", ("grad_b1", "accuracy"),
            "grads['b1'] is an np.matrix; return a plain ndarray of shape (H,).",
            ((_GB1, 'grads["b1"] = np.matrix(dhidden.sum(axis=0))'),),
            method="loss", line=r"""grads\[['"]b1['"]\]\s*="""),
    Mistake("dscores_not_divided_by_N", (*_GRADS, "accuracy"),
            "dscores is not divided by N: the loss is a mean, so its gradient is too.",
            ((_DIVIDE, "pass"),), method="loss", line=r"dscores"),
    Mistake("dscores_missing_minus_one", (*_GRADS, "accuracy"),
            "The backward pass forgets to subtract 1 at the correct class: "
            "dscores = probs - one_hot(y).",
            ((_MINUS_ONE, "pass"),), method="loss", line=r"dscores"),
    Mistake("grads_crash_when_a_class_is_absent", (*_GRADS, "accuracy"),
            "The gradient builds the one-hot labels with np.bincount(y), whose length is "
            "max(y) + 1: it breaks when the last class is absent from a batch.",
            ((_MINUS_ONE, "dscores -= np.eye(np.bincount(y).size)[y]"),),
            method="loss", line=r"bincount"),
    Mistake("grad_W2_uses_pre_relu_hidden", ("grad_W2",),
            "grads['W2'] uses the hidden layer before the ReLU; use its output.",
            ((_GW2, _GW2.replace("hidden.T", "hidden_pre.T")),),
            method="loss", line=r"""grads\[['"]W2['"]\]\s*="""),
)

_TRAIN = (
    Mistake("lr_decay_every_iteration", ("train", "accuracy"),
            "The learning rate decays every iteration; it should decay once per epoch.",
            ((_DECAY, "pass"), (_EPOCH, _DECAY + "\n            " + _EPOCH)),
            method="train", line=r"learning_rate\s*\*="),
    Mistake("lr_never_decays", ("train",),
            "The learning rate never decays; multiply it by learning_rate_decay once per epoch.",
            ((_DECAY, "pass"),), method="train", line=r"iterations_per_epoch\s*==|learning_rate_decay"),
    Mistake("biases_never_updated", ("train",),
            "b1 and b2 are never updated in train(); every parameter takes an SGD step.",
            ((_LOOP, 'for name in ("W1", "W2"):'),), method="train",
            line=r"""for\s+\w+\s+in.*(params|W1)|params\[['"]W2['"]\]\s*-="""),
    Mistake("sgd_step_uphill", ("train", "accuracy"),
            "train() adds learning_rate * grads; gradient descent subtracts them.",
            ((_UPDATE, _UPDATE.replace("-=", "+=")),), method="train", line=r"\+="),
    Mistake("minibatch_fixed_rows", ("train", "accuracy"),
            "Every minibatch holds the same first rows; sample rows at random each iteration.",
            ((_SAMPLE, "batch = np.arange(min(batch_size, num_train))"),),
            method="train", line=r"batch\s*="),
    Mistake("minibatch_crashes_when_N_below_batch_size", ("train",),
            "Minibatches are drawn with replace=False and batch_size rows, which raises when "
            "the training set has fewer than batch_size rows: take min(batch_size, N) rows, "
            "or sample with replacement.",
            ((_SAMPLE, "batch = np.random.choice(num_train, batch_size, replace=False)"),),
            method="train", line=r"choice|permutation"),
    Mistake("minibatch_labels_shuffled", ("train", "accuracy"),
            "y_batch is not the labels of the rows in X_batch: index X and y with the same rows.",
            ((_BATCH, "X_batch, y_batch = X[batch], y[np.random.permutation(batch)]"),),
            method="train", line=r"y_batch\s*="),
    Mistake("train_ignores_reg", ("train",),
            "train() calls self.loss without reg, so training is never regularized.",
            ((_CALL, "loss, grads = self.loss(X_batch, y=y_batch)"),),
            method="train", line=r"self\.loss\("),
    Mistake("train_history_misnamed", ("train",),
            "train() returns its loss history under another name; the key is loss_history.",
            ((_HISTORY, '"losses": loss_history,'),), method="train",
            line=r"""['"]\w+['"]\s*:\s*loss_history"""),
    Mistake("train_not_implemented", ("train", "accuracy"), "train() is not implemented yet.",
            transform=method_raises("train"), method="train"),
    Mistake("python2_print_statement", _ALL,
            "this file is Python 2 code: print statement at line {lineno}; the grader runs "
            "Python 3 (write print(...))",
            ((_VERBOSE, 'print "iteration %d / %d: loss %f" % (it, num_iters, loss)'),),
            status="error"),
)

_PREDICT = (
    Mistake("predict_returns_scalar", ("predict", "accuracy"),
            "predict() takes np.argmax without axis=1, which gives one index for the whole "
            "array.",
            ((_ARGMAX, "return np.argmax(scores)"),), method="predict", line=r"argmax"),
    Mistake("predict_omits_b2", ("predict",),
            "predict() leaves out b2 when it computes the scores.",
            ((_P_SCORES, 'scores = hidden.dot(self.params["W2"])'),),
            method="predict", line=r"W2"),
    Mistake("predict_omits_b1", ("predict",),
            "predict() leaves out b1 in the hidden layer.",
            ((_P_HIDDEN, 'hidden = np.maximum(0, X.dot(self.params["W1"]))'),),
            method="predict", line=r"W1"),
    Mistake("predict_relu_on_scores", ("predict",),
            "predict() applies a ReLU to the output scores before the argmax.",
            ((_P_SCORES, "scores = np.maximum(0, " + _P_SCORES.removeprefix("scores = ") + ")"),),
            method="predict", line=r"maximum\(.*W2|argmax"),
    Mistake("predict_no_relu", ("predict",),
            "predict() has no ReLU on the hidden layer.",
            ((_P_HIDDEN, 'hidden = X.dot(self.params["W1"]) + self.params["b1"]'),),
            method="predict", line=r"hidden\s*="),
    Mistake("predict_argmin", ("predict", "accuracy"),
            "predict() takes the argmin of the scores; the prediction is the highest score.",
            ((_ARGMAX, "return np.argmin(scores, axis=1)"),), method="predict", line=r"argmin"),
    Mistake("predict_not_implemented", ("predict", "accuracy"),
            "predict() is not implemented yet.", transform=method_raises("predict"),
            method="predict"),
)

MISTAKES: tuple[Mistake, ...] = _INIT + _FORWARD + _LOSS + _BACKWARD + _TRAIN + _PREDICT
"""Every known mistake, in the order diagnosis prefers them on a tie."""

VARIANTS: tuple[Mistake, ...] = (
    Mistake("minibatch_permutation", (), "Minibatches sampled without replacement.",
            ((_SAMPLE, "batch = np.random.permutation(num_train)[:batch_size]"),)),
    Mistake("minibatch_choice_min", (), "min(N, batch_size) rows without replacement.",
            ((_SAMPLE, "batch = np.random.choice(num_train, min(num_train, batch_size), "
                       "replace=False)"),)),
    Mistake("loss_called_positionally", (), "self.loss(X_batch, y_batch, reg).",
            ((_CALL, "loss, grads = self.loss(X_batch, y_batch, reg)"),)),
    Mistake("loss_called_by_keyword", (), "self.loss(X=X_batch, y=y_batch, reg=reg).",
            ((_CALL, "loss, grads = self.loss(X=X_batch, y=y_batch, reg=reg)"),)),
    Mistake("loss_extra_keyword", (), "loss() takes an optional dropout argument.",
            (("def loss(self, X, y=None, reg=0.0):",
              "def loss(self, X, y=None, reg=0.0, dropout=0.0):"),
             (_CALL, "loss, grads = self.loss(X_batch, y=y_batch, reg=reg, dropout=0.0)"))),
    Mistake("histories_of_numpy_scalars", (), "Histories hold numpy scalars, not floats.",
            (("loss_history.append(float(loss))", "loss_history.append(loss)"),
             ("train_acc_history.append(float((self.predict(X_batch) == y_batch).mean()))",
              "train_acc_history.append((self.predict(X_batch) == y_batch).mean())"),
             ("val_acc_history.append(float((self.predict(X_val) == y_val).mean()))",
              "val_acc_history.append(np.mean(self.predict(X_val) == y_val))"))),
    Mistake("predict_through_loss", (), "predict() computes the scores with self.loss(X).",
            ((_P_HIDDEN, "scores = self.loss(X)"), (_P_SCORES, "pass"))),
)
"""Changes that still meet the specification: each must score full marks."""
