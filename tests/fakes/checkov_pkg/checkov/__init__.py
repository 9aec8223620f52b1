"""A stand-in for the checkov package, for testing the warm worker's mechanics (not checkov).

``Checkov(argv).run()`` behaves according to ``--fake-*`` options: echo what it was given,
exit with a code, crash, sleep past a time-out, write a large output. ``FAKE_CHECKOV_BROKEN``
makes importing ``checkov.main`` fail, like a broken installation.
"""
