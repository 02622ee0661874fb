"""Holds only the locustfile ``mailharness load`` hands to locust.

locust puts a locustfile's folder on ``sys.path``; this folder has nothing
else in it, so no module of the harness can shadow a top-level one.
"""
