"""The mailharness locustfile, for running locust by hand (docs/load.md).

`mailharness load PROFILE` is the usual way in: it writes the run plan, starts
the reference server if asked, and runs locust with the packaged copy of this
file (harness/load/entry/locustfile.py). To drive locust yourself, point
MAILHARNESS_LOAD_PLAN at a plan `mailharness load --write-plan` wrote:

    MAILHARNESS_LOAD_PLAN=out/plan.json locust -f loadtests/locustfile.py --headless

The user classes (one per [[users]] table of the profile) and the load shape
(the profile's stages) are generated from the plan.
"""

from harness.load.engine.build import *  # noqa: F403
