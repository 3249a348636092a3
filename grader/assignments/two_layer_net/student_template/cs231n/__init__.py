"""Support code for the two-layer neural network assignment.

* ``cs231n.data_utils``: loading CIFAR-10 or the bundled 8x8 digits;
* ``cs231n.gradient_check``: numerical gradients to test your backward pass;
* ``cs231n.vis_utils``: tiling images (e.g. first-layer weights) into one picture;
* ``cs231n.classifiers.neural_net``: the ``TwoLayerNet`` you implement.
"""
