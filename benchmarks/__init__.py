"""Performance measurements: run one with `python -m benchmarks.<name>`."""
