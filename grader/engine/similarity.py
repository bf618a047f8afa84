"""Similarity of the submissions of a class: which pairs share unusually much code.

Every submission is read by the grader's own intake (folders, zips and notebooks alike; a
notebook becomes the module of its definitions) and its graded Python files are joined
into one document. copydetect compares every pair of documents by winnowing over tokens,
the method of Stanford's MOSS: identifiers, strings and comments do not count, so
renaming variables or functions and reordering them hides nothing. Whatever the released
skeleton and the provided files hold is boilerplate and counts for no one.

Nothing of a submission is ever run here, and no score changes: a high similarity is a
reason to look at two submissions side by side, not proof that one was copied. The
report's page is similarity_report's; it loads nothing from anywhere.
"""

import csv
import itertools
import re
import statistics
import tempfile
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np

# copydetect imports pyplot as it loads (for a report of its own, which is not used): headless.
matplotlib.use('Agg')

from copydetect import CopyDetector, __version__ as COPYDETECT  # noqa: E402 - after the backend is chosen

from . import similarity_report  # noqa: E402
from .batch import submissions  # noqa: E402
from .intake.submission import SubmissionError, prepare  # noqa: E402
from .text import spreadsheet_safe  # noqa: E402

SHOWN = 50                # pairs whose shared code the report shows
# copydetect's thresholds, in characters of tokenised code: shorter matches are ignored, longer
# ones always found; 30 - 25 + 1 = a winnowing window of 6 k-grams.
NOISE, GUARANTEE = 25, 30
# Between the files of a document: a token longer than the shortest match, so that no match
# spans two files. A submission's files follow one another in a different order, or with
# others between them, than the skeleton's; across a BARRIER, the skeleton's files end and
# begin as in the boilerplate, which wraps each of its files in BARRIERs too.
BARRIER = '0x' + '0' * NOISE
NOTICE = ('A high similarity is a reason to look at two submissions side by side, not proof that one '
          'was copied: short assignments leave few ways to write some functions, and students who '
          'worked from the same lecture notes write alike. Code from the released skeleton and the '
          'provided files does not count. Scores are not changed by this report.')
METHOD = (f'Compared with copydetect {COPYDETECT}: winnowing over tokens, shared passages of fewer than {NOISE} '
          f'characters of tokenised code ignored, of {GUARANTEE} or more always found.')


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


@dataclass(frozen=True)
class Passages:
    """What the documents of two submissions a and b share, as the report shows it.

    - texts: (document of a, document of b)
    - spans: ((2, K) array for a, (2, K') array for b): the start and end offsets of the
      shared passages in each document, sorted
    - shares: (fraction of a's own tokens found in b, fraction of b's found in a)
    """

    texts: tuple
    spans: tuple
    shares: tuple


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
    detector = CopyDetector(noise_t=NOISE, guarantee_t=GUARANTEE, extensions=['py'], autoopen=False, silent=True)
    paths = {}
    # Named by number: an id may hold any character, and nothing of a submission names a file here.
    for number, ident in enumerate(codes):
        paths[ident] = documents / f'{number}.py'
        paths[ident].write_text(codes[ident], encoding='utf-8')
        detector.add_file(str(paths[ident]))
    for number, code in enumerate(boilerplate):
        (shared / f'{number}.py').write_text(code, encoding='utf-8')
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


def _slices(detector, a, b):
    """The shared passages of documents a and b: [(2, K) spans in a, (2, K') in b], or None."""
    if (a, b) in detector.slice_matrix:
        return detector.slice_matrix[(a, b)]
    if (b, a) in detector.slice_matrix:
        return detector.slice_matrix[(b, a)][::-1]
    return None


def _shared_lines(detector, a, b, lines):
    """Counted lines inside the passages two documents share, in the one that has more.

    lines: {path: (newlines, counted)}, as _own_lines gives
    """
    slices = _slices(detector, a, b)
    if slices is None:
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


def passages(detector, paths, pair):
    """The Passages of a Pair, from a detector that ran; paths: {id: path of its document}."""
    a, b = str(paths[pair.id_a]), str(paths[pair.id_b])
    shares = np.clip(detector.similarity_matrix[detector.test_files.index(a), detector.ref_files.index(b)], 0, 1)
    spans = _slices(detector, a, b) or [np.zeros((2, 0), dtype=np.int64)] * 2
    return Passages((detector.file_data[a].raw_code, detector.file_data[b].raw_code), tuple(spans),
                    tuple(float(share) for share in shares))


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
        chosen = [(pair, passages(detector, paths, pair)) for pair in found[:shown]]
    page = similarity_report.page(found, chosen, skipped, NOTICE, BARRIER, METHOD)
    (out / 'report.html').write_text(page, encoding='utf-8')
    write_pairs(found, out / 'pairs.csv')
    return found, skipped
