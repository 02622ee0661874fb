"""The locust side of a run (imported only inside the locust process).

``context`` (per-process run state), ``coordinator`` (the master or local
process: merging workers' metrics, the settle phase, writing the result),
``shape`` (the profile's stages as a LoadTestShape) and ``build`` (what a
locustfile star-imports: user classes generated from the profile, the
shape, the event hooks).
"""
