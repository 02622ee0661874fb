"""The locustfile ``mailharness load`` runs (loadtests/locustfile.py is the same).

Everything comes from the run plan named by MAILHARNESS_LOAD_PLAN; see
harness.load.engine.build and docs/load.md.
"""

from harness.load.engine.build import *  # noqa: F403
