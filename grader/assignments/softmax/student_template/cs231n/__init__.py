"""Support code for the Softmax classifier assignment.

* ``cs231n.data_utils``: loading CIFAR-10 or the bundled 8x8 digits;
* ``cs231n.gradient_check``: numerical gradients to test your loss;
* ``cs231n.classifiers.softmax``: the softmax loss you implement;
* ``cs231n.classifiers.linear_classifier``: the classifier you train.
"""
