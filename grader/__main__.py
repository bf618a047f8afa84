import os
import sys
from pathlib import Path

from .engine.cli import main

try:
    # This homework's folder (spec.py, suites/) is the default assignment.
    sys.exit(main(assignment=Path(__file__).resolve().parent))
except BrokenPipeError:
    # Whoever read the output (`| head`) stopped early; the results file is already written.
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(0)
