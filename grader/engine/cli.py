"""Command line:

    python -m grader grade SUBMISSION [--suite public|all] [--parts 1-3,6 | --function NAME] [--out FILE]
                                      [--assignment PATH]
    python -m grader batch SUBMISSIONS_DIR --out OUT_DIR [--jobs N] [--shard K/N] [--suite all] [--regrade]
    python -m grader merge OUT_DIR... --out DIR
    python -m grader classroom RESULTS_JSON
    python -m grader similarity SUBMISSIONS_DIR --out DIR [--boilerplate PATH]... [--show N]
    python -m grader answers SUBMISSIONS_DIR --out DIR [--no-figures] [--jobs N] [--sandbox S] [--budget S]
    python -m grader answers SUBMISSION --results results.json
    python -m grader export OUT_DIR --format canvas|csv [--roster CSV] [--column NAME] --out FILE

--assignment names the folder of the homework to grade (its spec.py and suites/); the
program that calls main() gives the default.

Exit status: 0 whenever grading completed, whatever the score; 2 for a usage error, and
when a submission's code could read what it must not here (the message says what, and
what to do); 3 when the harness itself failed.
"""

import argparse
import csv
import json
import sys
from pathlib import Path

from . import batch, regrade, spec as specs
from .grading import HarnessError, IsolationError, grade, limits_of
from .layout import RESULTS, write_json_atomically
from .output import EXPORTS, classroom, gradebook
from .output.roster import collect_and_match, read_roster
from .output.terminal import Progress, print_table
from .sandbox.isolation import GIB, Limits

VISIBILITIES = ('hidden', 'after_due_date', 'after_published', 'visible')


def main(argv=None, assignment=None):
    """Run the command line; `assignment` is the default homework folder."""
    parser = argparse.ArgumentParser(prog='python -m grader', description='Grade submissions to an assignment.')
    commands = parser.add_subparsers(dest='command', required=True)
    one = commands.add_parser('grade', help='grade one submission')
    one.add_argument('submission', type=Path, help="a folder of the assignment's modules, a .zip of one, "
                                                   'or a notebook')
    one.add_argument('--suite', choices=('public', 'all'), default='public', help='(default: %(default)s)')
    one.add_argument('--out', type=Path, default=Path('results.json'), help='results JSON (Gradescope format)')
    one.add_argument('--seed', type=int, help='grading seed (default: from the submission content)')
    one.add_argument('--quiet', action='store_true', help='print the points per part only')
    _grading_options(one, assignment)

    many = commands.add_parser('batch', help='grade every submission of a folder')
    many.add_argument('submissions', type=Path, help='a folder of folders, .zip and .ipynb files')
    many.add_argument('--out', type=Path, required=True, help='folder for <id>.json and the gradebook')
    many.add_argument('--jobs', type=int, help='submissions graded at once (default: the CPU count)')
    many.add_argument('--shard', type=_shard, default=(1, 1), help='K/N: grade the K-th of N shards')
    many.add_argument('--suite', choices=('public', 'all'), default='all', help='(default: %(default)s)')
    many.add_argument('--regrade', action='store_true', help='grade every submission again, also up-to-date '
                      'ones (after a test was fixed); replaced results are kept in OUT_DIR/history/')
    _grading_options(many, assignment)

    together = commands.add_parser('merge', help='build one gradebook from shard outputs')
    together.add_argument('shards', type=Path, nargs='+', help='the --out folders of the shards')
    together.add_argument('--out', type=Path, required=True)

    report = commands.add_parser('classroom', help="print results as GitHub Classroom's reporter reads them")
    report.add_argument('results', type=Path, help='a results JSON written by grade')

    _similarity_options(commands, assignment)
    _answers_options(commands, assignment)
    _export_options(commands)

    args = parser.parse_args(argv)
    # A submission may print text no terminal can show; it must never stop the report.
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(errors='replace')
    if args.command == 'classroom':
        print(f'result={classroom.reporter_payload(json.loads(args.results.read_text()))}')
        return 0
    if args.command == 'batch':
        return _batch(parser, args)
    if args.command == 'merge':
        return _merge(parser, args)
    if hasattr(args, 'run'):
        return args.run(parser, args)
    if not args.submission.exists():
        parser.error(f'{args.submission} does not exist')
    spec = _spec(parser, args)
    progress = Progress()
    try:
        # A link named on the command line is the user's choice: follow it here, and never inside.
        results = grade(args.submission.resolve(), spec, args.suite, args.seed, args.hidden_visibility,
                        args.sandbox, _limits(args, spec), progress)
    except ValueError as error:
        parser.error(str(error))
    except (IsolationError, HarnessError) as error:
        return _refused(error)
    finally:
        progress.finish()
    write_json_atomically(results, args.out)
    print_table(results, verbose=not args.quiet)
    print(f'Results written to {args.out}')
    return 0


def _refused(error):
    """Say why nothing was graded; the exit status: 2 when grading here would not be safe,
    3 when the harness failed."""
    if isinstance(error, IsolationError):
        print(f'grader: {error}', file=sys.stderr)
        return 2
    print(f'grader error: {error}', file=sys.stderr)
    return 3


def _assignment_option(command, default):
    command.add_argument('--assignment', type=Path, default=default, required=default is None,
                         help='folder of the homework: its spec.py and suites/ (default: %(default)s)')


def _parts(text):
    """--parts as argparse reads it: the part numbers, or the reason they cannot be read."""
    try:
        return specs.parse_parts(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _spec(parser, args):
    """The assignment the command grades, restricted to --parts; a usage error of the command otherwise."""
    parser = getattr(args, 'command_parser', parser)
    try:
        spec = specs.load(args.assignment)
    except (OSError, ValueError, ImportError, AttributeError) as error:
        parser.error(f'--assignment {args.assignment}: {error}')
    parts, functions = getattr(args, 'parts', None), getattr(args, 'functions', None)
    if parts and functions:
        parser.error('give --parts or --function, not both')
    try:
        return spec.selection(parts or (), functions or ()) if parts or functions else spec
    except ValueError as error:
        parser.error(f'--{"function" if functions else "parts"}: {error}')


def _grading_options(command, assignment):
    """The options `grade` and `batch` share: the assignment, visibility, sandbox and limits."""
    _assignment_option(command, assignment)
    command.add_argument('--parts', type=_parts, help='grade these parts only, e.g. 6 or 1-3,6 (default: all)')
    command.add_argument('--function', action='append', dest='functions', metavar='NAME',
                         help="grade this function's tests only; repeatable")
    command.set_defaults(command_parser=command)
    command.add_argument('--hidden-visibility', choices=VISIBILITIES, default='after_published',
                         help='Gradescope visibility of hidden tests')
    command.add_argument('--sandbox', choices=('auto', 'bwrap', 'none'), default='auto',
                         help='run the submission under bubblewrap (auto: when it works here); none grades even '
                              'where a submission could read the hidden tests, and the results record it')
    defaults = Limits()
    command.add_argument('--timeout', type=float, default=defaults.call_timeout,
                         help="seconds per call to the submission (training tests: the assignment's training_timeout)")
    command.add_argument('--budget', type=float, default=defaults.budget,
                         help='seconds for all calls to one submission together')
    command.add_argument('--memory', type=float, default=defaults.memory / GIB,
                         help='GiB of memory for all processes of one submission')


def _similarity_options(commands, assignment):
    """The `similarity` command and its options; _similarity runs it."""
    alike = commands.add_parser('similarity', help='rank pairs of submissions by the code they share')
    _assignment_option(alike, assignment)
    alike.add_argument('submissions', type=Path, help='a folder of folders, .zip and .ipynb files')
    alike.add_argument('--out', type=Path, required=True, help='folder for report.html and pairs.csv')
    alike.add_argument('--boilerplate', type=Path, action='append',
                       help='released skeleton or provided files, which count for no one; repeatable '
                            "(default: the assignment's skeleton folder)")
    alike.add_argument('--show', type=int, default=50, help='pairs whose shared code the report shows')
    alike.set_defaults(run=_similarity)


def _answers_options(commands, assignment):
    """The `answers` command and its options; _answers runs it."""
    prose = commands.add_parser('answers', help="every submission's written answers and the figures its code "
                                                'draws, a page each for a TA')
    _assignment_option(prose, assignment)
    prose.add_argument('submissions', type=Path, help='a folder of folders, .zip and .ipynb files; with --results, '
                                                      'one submission')
    where = prose.add_mutually_exclusive_group(required=True)
    where.add_argument('--out', type=Path, help='folder for index.html and answers/<id>.html')
    where.add_argument('--results', type=Path, help="add the submission's answers to the output of its results "
                                                    "JSON, as Gradescope's autograder shows them (the score stays)")
    prose.add_argument('--figures', action=argparse.BooleanOptionalAction, default=True,
                       help="draw the homework's figures with each submission's code, in the sandbox that grading "
                            'uses (default: %(default)s)')
    prose.add_argument('--jobs', type=int, default=1, help='submissions whose figures are drawn at once')
    prose.add_argument('--sandbox', choices=('auto', 'bwrap', 'none'), default='auto',
                       help='run the submission under bubblewrap (auto: when it works here)')
    prose.add_argument('--budget', type=float, default=Limits().budget,
                       help="seconds of the submission's own time for all the calls that draw its figures")
    prose.set_defaults(run=_answers, command_parser=prose)


def _answers(parser, args):
    from . import written    # matplotlib loads slowly: only for this command

    spec = _spec(parser, args)
    if args.results is not None:
        if not args.submissions.exists():
            parser.error(f'{args.submissions} does not exist')
        try:
            added = written.add_to_results(spec, args.submissions, args.results)
        except ValueError as error:
            parser.error(str(error))
        print(added if added is not None else f'{spec.title} asks no written questions: {args.results} unchanged')
        return 0
    if not args.submissions.is_dir():
        parser.error(f'{args.submissions} is not a folder')
    try:
        entries = written.pages(spec, args.submissions, args.out, args.figures, args.sandbox,
                                limits_of(spec, budget=args.budget), max(1, args.jobs))
    except ValueError as error:
        parser.error(str(error))
    except (IsolationError, HarnessError) as error:
        return _refused(error)
    print(written.summary(entries, args.out))
    return 0


def _export_options(commands):
    """The `export` command and its options; _export runs it."""
    lms = commands.add_parser('export', help='the scores of a batch as a gradebook an LMS imports')
    lms.add_argument('results', type=Path, help='the --out folder of batch or merge')
    lms.add_argument('--format', choices=sorted(EXPORTS), default='csv',
                     help="the gradebook's format: Canvas's gradebook CSV, or a plain one")
    lms.add_argument('--roster', type=Path, help='CSV mapping submission ids to students (required for canvas)')
    lms.add_argument('--id-column', default='submission_id', help="the roster's column of submission ids")
    lms.add_argument('--column', help="the assignment's column in the LMS, as Canvas's export names it, e.g. "
                                      "'Homework 3 (12345)' (required for canvas)")
    lms.add_argument('--out', type=Path, required=True, help='the CSV to write')
    lms.set_defaults(run=_export)


def _limits(args, spec):
    return limits_of(spec, call_timeout=args.timeout, budget=args.budget, memory=int(args.memory * GIB))


def _shard(text):
    try:
        k, n = map(int, text.split('/'))
    except ValueError:
        raise argparse.ArgumentTypeError(f'{text!r}: expected K/N, e.g. 2/4') from None
    if not 1 <= k <= n:
        raise argparse.ArgumentTypeError(f'{text!r}: K must be between 1 and N')
    return k, n


def _batch(parser, args):
    if not args.submissions.is_dir():
        parser.error(f'{args.submissions} is not a folder')
    earlier = {path.stem for path in (args.out / RESULTS).glob('*.json')}
    history = regrade.history_folder(args.out)
    try:
        spec = _spec(parser, args)
        graded, skipped = batch.run(spec, args.submissions, args.out, args.jobs, args.shard,
                                    args.suite, args.sandbox, _limits(args, spec), args.hidden_visibility,
                                    force=args.regrade, history=history)
    except ValueError as error:
        parser.error(str(error))
    except (IsolationError, HarnessError) as error:
        return _refused(error)
    collected = gradebook.collect([args.out])
    gradebook.write(collected, args.out)
    print(f'graded {len(graded)}, kept {len(skipped)} up-to-date results; '
          f'gradebook of {len(collected)} in {args.out}')
    again = earlier & set(graded)
    if again:
        with open(args.out / regrade.REPORT, newline='', encoding='utf-8') as f:
            changed = sum(1 for _ in csv.DictReader(f))
        kept = f'; the results they replace are in {history}' if history.is_dir() else ''
        print(f'graded {len(again)} earlier results again: {changed} changed, listed in '
              f'{args.out / regrade.REPORT}{kept}')
    faults = batch.harness_errors(args.out, graded)
    if faults:
        print(f'the grader failed on {len(faults)} submissions (no score is given; summary.json lists them under '
              f'harness_errors); run the same command again to grade them: {", ".join(faults)}')
    left_out = batch.ignored(args.submissions)
    if left_out:
        print(f'not submissions (no folder, .zip or .ipynb), left out: {", ".join(left_out)}')
    return 0


def _merge(parser, args):
    missing = [str(folder) for folder in args.shards if not folder.is_dir()]
    if missing:
        parser.error(f'not folders: {", ".join(missing)}')
    if not any(next((folder / RESULTS).glob('*.json'), None) for folder in args.shards):
        parser.error(f'no results in {", ".join(map(str, args.shards))}: merge reads the {RESULTS}/ folder that '
                     'batch --out writes')
    try:
        collected = gradebook.merge(args.shards, args.out)
    except ValueError as error:
        parser.error(str(error))
    print(f'gradebook of {len(collected)} submissions in {args.out}')
    return 0


def _similarity(parser, args):
    from . import similarity    # copydetect and pyplot load slowly: only for this command

    spec = _spec(parser, args)
    boilerplate = args.boilerplate or [spec.root / spec.skeleton]
    missing = [str(path) for path in [args.submissions, *boilerplate] if not path.exists()]
    if missing or not args.submissions.is_dir():
        parser.error(f'not found or not a folder: {", ".join(missing) or args.submissions}')
    try:
        found, skipped = similarity.run(spec, args.submissions, args.out, boilerplate, args.show)
    except ValueError as error:
        parser.error(str(error))
    top = found[0]
    print(f'compared {len(found)} pairs; most similar: {top.id_a} and {top.id_b}, similarity '
          f'{top.similarity:.2f} (z-score {top.zscore:.1f}); report in {args.out / "report.html"}, '
          f'every pair in {args.out / "pairs.csv"}')
    for ident, why in skipped.items():
        print(f'not compared: {ident}: {why}')
    print(similarity.NOTICE)
    return 0


def _export(parser, args):
    export = EXPORTS[args.format]
    if export.NEEDS_ROSTER and not (args.roster and args.column):
        parser.error(f'--format {args.format} needs --roster and --column')
    try:
        matched = collect_and_match(args.results, read_roster(args.roster, args.id_column) if args.roster else None)
        export.write(matched, args.out, args.column)
    except (OSError, ValueError) as error:
        parser.error(str(error))
    written = export.rows(matched)
    scored = sum(row['status'] == 'graded' for row in written)
    print(f'{args.out}: {len(written)} rows, {scored} with a score out of {matched.points:g}')
    where = 'left out of the file' if export.NEEDS_ROSTER else 'in the file without a student'
    _listing(f'submissions with no roster row ({where})', matched.unrostered)
    _listing('students with no submission (score left blank)', matched.missing)
    _listing('submissions the grader could not grade (score left blank)',
             [f'{ident}: {reason}' for ident, reason in matched.ungraded.items()])
    return 0


def _listing(title, items):
    if items:
        print(f'{title}, {len(items)}:')
        print('\n'.join(f'  - {item}' for item in items))
