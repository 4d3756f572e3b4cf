"""Instruments for the question behind the project: is the training data good for this learner?

Measurements only (nothing here changes what a run trains on), each in its own module:

- ``drift``: per-role probes on fixed prompts at each evaluation: KL to the reference and to
  the previous evaluation, greedy answers changed (the worker's side: agents/probe.py);
- ``diversity``: distinct problems, distinct-n, feature entropy and rare-kind share per step
  and per evaluation; which kinds a run lost (``vanished_kinds``, in ``inspect summary``);
- ``skills``: accuracy on what the base model could already do, and shortcut signatures;
- ``recorder``: what the driver calls (``Instruments``). Metric names: README.md, "Instruments".
"""
