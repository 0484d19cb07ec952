"""Property-based lifecycle fuzzing: a hypothesis state machine checked against a model.

- :mod:`.reference`: what Grid Engine answers, as a model that predicts each call's outcome;
- :mod:`.machine`: the ``RuleBasedStateMachine`` driving a drmaa module (or two, compared);
- :mod:`.script`: the failing program, written out as a plain ``import drmaa`` script;
- :mod:`.mutants`: simulator variants with planted faults, and the check that catches them;
- :mod:`.profiles`: the ``dev``, ``ci`` and ``nightly`` hypothesis profiles.
"""
