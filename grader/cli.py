"""Command line: python -m grader grade SUBMISSION [--suite public|all] [--out FILE]

Exit status: 0 whenever grading completed, whatever the score; 2 for a usage error;
3 when the harness itself failed.
"""

import argparse
import sys
from pathlib import Path

from .grading import HarnessError, grade, write_json_atomically
from .isolation import GIB, Limits
from .report import print_table

VISIBILITIES = ('hidden', 'after_due_date', 'after_published', 'visible')


def main(argv=None):
    parser = argparse.ArgumentParser(prog='python -m grader', description='Grade the backprop assignment.')
    commands = parser.add_subparsers(dest='command', required=True)
    one = commands.add_parser('grade', help='grade one submission')
    one.add_argument('submission', type=Path, help='a folder or a .zip of the four modules')
    one.add_argument('--suite', choices=('public', 'all'), default='public')
    one.add_argument('--out', type=Path, default=Path('results.json'), help='results JSON (Gradescope format)')
    one.add_argument('--seed', type=int, help='grading seed (default: from the submission content)')
    one.add_argument('--hidden-visibility', choices=VISIBILITIES, default='after_published',
                     help='Gradescope visibility of hidden tests')
    one.add_argument('--quiet', action='store_true', help='print the points per part only')
    one.add_argument('--sandbox', choices=('auto', 'bwrap', 'none'), default='auto',
                     help='run the submission under bubblewrap (auto: when it works here)')
    defaults = Limits()
    one.add_argument('--timeout', type=float, default=defaults.call_timeout,
                     help='seconds per call to the submission (training tests set their own)')
    one.add_argument('--budget', type=float, default=defaults.budget,
                     help='seconds for all calls to one submission together')
    one.add_argument('--memory', type=float, default=defaults.memory / GIB, help='GiB of memory for the worker')
    args = parser.parse_args(argv)
    limits = Limits(call_timeout=args.timeout, budget=args.budget, memory=int(args.memory * GIB))

    if not args.submission.exists():
        parser.error(f'{args.submission} does not exist')
    try:
        results = grade(args.submission, args.suite, args.seed, args.hidden_visibility, args.sandbox, limits)
    except ValueError as error:
        parser.error(str(error))
    except HarnessError as error:
        print(f'grader error: {error}', file=sys.stderr)
        return 3
    write_json_atomically(results, args.out)
    print_table(results, verbose=not args.quiet)
    print(f'Results written to {args.out}')
    return 0
