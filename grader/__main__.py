import os
import sys

from .cli import main

try:
    sys.exit(main())
except BrokenPipeError:
    # Whoever read the output (`| head`) stopped early; the results file is already written.
    os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    sys.exit(0)
