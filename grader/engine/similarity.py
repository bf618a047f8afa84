"""Similarity of the submissions of a class: which pairs share unusually much code.

Every submission is read by the grader's own intake (folders, zips and notebooks alike; a
notebook becomes the module of its definitions) and its graded Python files are joined
into one document. copydetect compares every pair of documents by winnowing over tokens,
the method of Stanford's MOSS: identifiers, strings and comments do not count, so
renaming variables or functions and reordering them hides nothing. Whatever the released
skeleton and the provided files hold is boilerplate and counts for no one.

Nothing of a submission is ever run here, and no score changes: a high similarity is a
reason to look at two submissions side by side, not proof that one was copied.
"""

import csv
import html
import itertools
import re
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np

# copydetect draws its report's figures with pyplot: headless, as all of the grader's figures.
matplotlib.use('Agg')

from copydetect import CopyDetector  # noqa: E402 - after the backend is chosen

from .batch import submissions  # noqa: E402
from .intake.submission import SubmissionError, prepare  # noqa: E402
from .text import spreadsheet_safe  # noqa: E402

SHOWN = 50                # pairs whose matched code the report shows
# copydetect's thresholds, in characters of tokenised code: shorter matches are ignored, longer
# ones always found; 30 - 25 + 1 = a winnowing window of 6 k-grams.
NOISE, GUARANTEE = 25, 30
SAFE_NAME = re.compile(r'[A-Za-z0-9][A-Za-z0-9_.+-]{0,99}')
# Between the files of a document: a token longer than the shortest match, so that no match
# spans two files. A submission's files follow one another in a different order, or with
# others between them, than the skeleton's; across a BARRIER, the skeleton's files end and
# begin as in the boilerplate, which wraps each of its files in BARRIERs too.
BARRIER = '0x' + '0' * NOISE
NOTICE = ('A high similarity is a reason to look at two submissions side by side, not proof that one '
          'was copied: short assignments leave few ways to write some functions, and students who '
          'worked from the same lecture notes write alike. Code from the released skeleton and the '
          'provided files does not count. Scores are not changed by this report.')


@dataclass(frozen=True)
class Pair:
    """Two submissions and how much code they share.

    - id_a, id_b: submission ids, id_a < id_b
    - similarity: in [0, 1], the fraction of the two submissions' own (non-boilerplate)
      tokens that stand in both: (shared tokens of a + shared tokens of b) / (own tokens of
      a + own tokens of b). Counted over both, a nearly empty submission, whose few lines
      any other may hold, does not top the list.
    - zscore: (similarity - mean) / standard deviation over all pairs of the class
    - lines: lines inside the shared passages that are neither blank nor lines of the
      boilerplate, in the submission where there are more of them
    """

    id_a: str
    id_b: str
    similarity: float
    zscore: float
    lines: int


def graded_files(source, workdir, spec):
    """The Python files the grader grades for one submission.

    Inputs:
    - source: a folder, .zip or .ipynb, read by intake.submission.prepare
    - workdir: an empty folder for the submission's private copy
    - spec: the engine.spec.Assignment it is a submission to

    Returns:
    - {relative path: text}, in path order

    Raises:
    - SubmissionError when nothing can be read
    """
    root = prepare(source, workdir, spec).root
    return {path.relative_to(root).as_posix(): path.read_text(errors='replace') for path in sorted(root.rglob('*.py'))}


def graded_code(source, workdir, spec):
    """A submission's graded files as one document, each under a BARRIER and `# file: <path>` line."""
    files = graded_files(source, workdir, spec)
    return ''.join(f'{BARRIER}  # file: {name}\n{text}\n' for name, text in files.items()) + BARRIER + '\n'


def boilerplate_code(paths, workdir, spec):
    """The code of the released skeleton and provided files, read as submissions are.

    Inputs:
    - paths: folders, zips or notebooks (a folder's own notebooks are read too, as their code)
    - workdir: an empty folder
    - spec: the engine.spec.Assignment

    Returns:
    - list of texts, one per file between two BARRIERs, as each file stands in a document
    """
    sources = []
    for path in map(Path, paths):
        sources.append(path)
        if path.is_dir():
            sources += sorted(path.glob('*.ipynb'))
    return [f'{BARRIER}\n{text}\n{BARRIER}\n' for number, source in enumerate(sources)
            for text in graded_files(source, Path(workdir) / str(number), spec).values()]


def file_names(ids):
    """{id: file name} for the report: the id itself when it is a plain name, else an alias.

    copydetect prints file names unescaped in parts of its report, so an id such as
    `<b>.zip` must not become one.
    """
    names = {ident: f'{ident}.py' for ident in ids if SAFE_NAME.fullmatch(ident)}
    aliases = (f'submission-{number}.py' for number in itertools.count(1))
    for ident in ids:
        if ident not in names:
            names[ident] = next(alias for alias in aliases if alias not in names.values())
    return names


class _Detector(CopyDetector):
    """copydetect's detector, whose report shows only the pairs in `shown` (frozensets of paths)."""

    shown = frozenset()

    def get_copied_code_list(self):
        """copydetect's list of matched pairs for its report, cut to those in `shown`."""
        return [entry for entry in super().get_copied_code_list() if frozenset(entry[2:4]) in self.shown]


def compare(codes, boilerplate, workdir):
    """Fingerprint every document and compare every pair with copydetect.

    Inputs:
    - codes: {id: code}, at least two
    - boilerplate: list of code texts whose fingerprints count for no one
    - workdir: an empty folder for the documents

    Returns:
    - (detector, paths): the detector that ran, and {id: path of its document}
    """
    documents, shared = Path(workdir) / 'documents', Path(workdir) / 'boilerplate'
    documents.mkdir()
    shared.mkdir()
    detector = _Detector(noise_t=NOISE, guarantee_t=GUARANTEE, extensions=['py'], autoopen=False, silent=True,
                         truncate=True, out_file=str(Path(workdir) / 'report.html'))
    paths = {}
    for ident, name in file_names(codes).items():
        paths[ident] = documents / name
        paths[ident].write_text(codes[ident])
        detector.add_file(str(paths[ident]))
    for number, code in enumerate(boilerplate):
        (shared / f'{number}.py').write_text(code)
        detector.add_file(str(shared / f'{number}.py'), type='boilerplate')
    detector.run()
    return detector, paths


def pairs(detector, paths, boilerplate=()):
    """Every pair of submissions, most similar first.

    Inputs:
    - detector: a detector that ran over the documents
    - paths: {id: path of its document}
    - boilerplate: code texts whose lines are not counted in Pair.lines

    Returns:
    - list of Pair, sorted by similarity (descending), then ids
    """
    test = {path: index for index, path in enumerate(detector.test_files)}
    ref = {path: index for index, path in enumerate(detector.ref_files)}
    skeleton = {line.strip() for code in boilerplate for line in code.split('\n')} | {''}
    lines = {str(path): _own_lines(detector.file_data[str(path)].raw_code, skeleton) for path in paths.values()}
    found = []
    for id_a, id_b in itertools.combinations(sorted(paths), 2):
        a, b = str(paths[id_a]), str(paths[id_b])
        own = np.array([detector.file_data[a].token_coverage, detector.file_data[b].token_coverage])
        shared = np.clip(detector.similarity_matrix[test[a], ref[b]], 0, 1) @ own
        found.append((id_a, id_b, float(shared / own.sum()) if own.sum() else 0.0,
                      _shared_lines(detector, a, b, lines)))
    values = [similarity for _, _, similarity, _ in found]
    mean = statistics.fmean(values) if values else 0.0
    spread = statistics.pstdev(values) if len(values) > 1 else 0.0
    ranked = [Pair(a, b, round(s, 4), round((s - mean) / spread, 2) if spread else 0.0, lines)
              for a, b, s, lines in found]
    return sorted(ranked, key=lambda pair: (-pair.similarity, pair.id_a, pair.id_b))


def _own_lines(code, skeleton):
    """Where a document's lines end, and which of them count.

    Inputs:
    - code: the document
    - skeleton: stripped lines that do not count (the boilerplate's, and the empty line)

    Returns:
    - (newlines, counted): sorted offsets of the newline characters, (L - 1,); and a
      boolean array, (L,), True for the lines that count
    """
    counted = np.array([row.strip() not in skeleton for row in code.split('\n')])
    return np.array([match.start() for match in re.finditer('\n', code)], dtype=np.int64), counted


def _shared_lines(detector, a, b, lines):
    """Counted lines inside the passages two documents share, in the one that has more.

    lines: {path: (newlines, counted)}, as _own_lines gives
    """
    if (a, b) in detector.slice_matrix:
        slices = detector.slice_matrix[(a, b)]
    elif (b, a) in detector.slice_matrix:
        slices = detector.slice_matrix[(b, a)][::-1]
    else:
        return 0
    return max(int(np.sum(_lines_in(*lines[path], spans))) for path, spans in zip((a, b), slices))


def _lines_in(newlines, counted, spans):
    """Which counted lines the character spans [start, end) touch.

    Inputs:
    - newlines, counted: as _own_lines gives, for L lines
    - spans: (2, K) array of starts and ends

    Returns:
    - boolean array, (L,)
    """
    starts, ends = np.asarray(spans[0], dtype=np.int64), np.asarray(spans[1], dtype=np.int64)
    first = np.searchsorted(newlines, starts, side='left')
    last = np.searchsorted(newlines, np.maximum(starts, ends - 1), side='left')
    # +1 where a span's lines begin, -1 after they end: a running sum > 0 marks the lines touched.
    edges = np.zeros(len(counted) + 1, dtype=np.int64)
    np.add.at(edges, first, 1)
    np.add.at(edges, last + 1, -1)
    return (np.cumsum(edges[:-1]) > 0) & counted


def report_html(detector, paths, skipped):
    """copydetect's HTML report for the pairs in detector.shown, with a notice on top.

    Inputs:
    - detector: a detector that ran
    - paths: {id: path of its document}
    - skipped: {id: why it could not be read}

    Returns:
    - the report's HTML text; file names are shown relative to the documents' folder
    """
    page = detector.generate_html_report(output_mode='return')
    documents = next(iter(paths.values())).parent
    for folder in (documents, documents.parent):
        page = page.replace(f'{folder}/', '')
    aliases = [(path.name, ident) for ident, path in paths.items() if path.name != f'{ident}.py']
    notice = ['<div style="border: 2px solid #c60; padding: 1em; margin: 1em auto; max-width: 1400px">',
              f'<p><strong>Read this first.</strong> {html.escape(NOTICE)}</p>',
              '<p>pairs.csv, beside this report, lists every pair with its similarity and z-score; '
              f'below are the {len(detector.shown)} most similar pairs. Each submission is shown as one document '
              f'of its graded files, each file under a line <code>{BARRIER[:6]}…  # file: name</code>; '
              'the percentages are the shares of each document found in the other.</p>']
    if aliases:
        notice.append('<p>Files named for submissions whose ids are not plain names: '
                      + '; '.join(f'{html.escape(name)} = {html.escape(ident)}' for name, ident in aliases) + '</p>')
    if skipped:
        notice.append('<p>Not compared (could not be read): '
                      + '; '.join(f'{html.escape(ident)}: {html.escape(why)}' for ident, why in skipped.items())
                      + '</p>')
    notice.append('</div>')
    return page.replace('<body>', '<body>\n' + '\n'.join(notice), 1)


def write_pairs(found, path):
    """pairs.csv: id_a, id_b, similarity, zscore, lines; one row per Pair, in the given order."""
    with open(path, 'w', newline='', encoding='utf-8') as f:
        writer = csv.writer(f)
        writer.writerow(['id_a', 'id_b', 'similarity', 'zscore', 'lines'])
        writer.writerows([spreadsheet_safe(p.id_a), spreadsheet_safe(p.id_b), p.similarity, p.zscore, p.lines]
                         for p in found)


def run(spec, folder, out, boilerplate=None, shown=SHOWN):
    """Compare every submission of a folder with every other; write out/report.html and out/pairs.csv.

    Inputs:
    - spec: the engine.spec.Assignment the submissions are for
    - folder: a folder of submissions, as `grader batch` reads it
    - out: the output folder (created)
    - boilerplate: the skeleton and provided files (folders, zips or notebooks); by default
      the spec's skeleton folder
    - shown: how many of the most similar pairs the report shows with their code

    Returns:
    - (pairs, skipped): the list of Pair, most similar first; {id: why it could not be read}
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    boilerplate = [spec.root / spec.skeleton] if boilerplate is None else boilerplate
    with tempfile.TemporaryDirectory(prefix='grader-similarity-') as workdir:
        workdir = Path(workdir)
        codes, skipped = {}, {}
        for number, (ident, path) in enumerate(submissions(folder).items()):
            try:
                codes[ident] = graded_code(path, workdir / 'copies' / str(number), spec)
            except SubmissionError as error:
                skipped[ident] = str(error)
        if len(codes) < 2:
            raise ValueError(f'{folder} has {len(codes)} readable submissions; at least two are needed')
        shared = boilerplate_code(boilerplate, workdir / 'skeleton', spec)
        detector, paths = compare(codes, shared, workdir)
        found = pairs(detector, paths, shared)
        detector.shown = {frozenset((str(paths[p.id_a]), str(paths[p.id_b]))) for p in found[:shown]}
        # A pair's similarity is a mean of its two shares, so the larger share is at least as
        # high; copydetect shows the pairs with a larger share above display_t.
        detector.conf.display_t = max(0.0, min((p.similarity for p in found[:shown]), default=0.0) - 1e-4)
        (out / 'report.html').write_text(report_html(detector, paths, skipped), encoding='utf-8')
    write_pairs(found, out / 'pairs.csv')
    return found, skipped
