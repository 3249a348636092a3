"""The two-layer neural network assignment (TwoLayerNet)."""
