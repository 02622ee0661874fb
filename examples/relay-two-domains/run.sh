#!/bin/sh
# Run the two-domain relay example with the project's virtualenv (make setup).
HERE=$(cd "$(dirname "$0")" && pwd)
exec "${PYTHON:-$HERE/../../.venv/bin/python}" "$HERE/run.py" "$@"
