"""The two-layer neural network assignment (TwoLayerNet).

Declared in :mod:`.checks`. In the parent: :mod:`.plan` draws the inputs,
the ``judges_*`` modules judge the probes' outputs against the reference
(:mod:`.reference_net` builds its networks and the train probe's stand-in),
and :mod:`.diagnosis` names the known mistakes (:mod:`.mistakes`), running
them through :mod:`.mutants`.
"""
