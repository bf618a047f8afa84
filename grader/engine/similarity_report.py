"""report.html of the similarity check: one page for the instructor, self-contained.

Top to bottom: the caution that a high similarity is not proof; what was compared and
what could not be read; how the similarities of all pairs are spread; a matrix of the
most similar submissions, their names on both axes; then the most similar pairs, each a
<details> that opens, without script, onto the two documents side by side with their
shared passages marked.

The page loads nothing: its style is inline, its figure an inline SVG, it has no script,
and its Content-Security-Policy forbids loading anything, so opening it contacts no
server. Every text that comes from a submission (ids, file names, code) is escaped.
"""

import html

import numpy as np

MATRIX = 50                # submissions at most on the matrix's axes
CONTEXT = 4                # lines of code shown around each shared passage
BINS = 20                  # bars of the distribution, each 0.05 of similarity wide
SHADES = (2, 3, 4)         # z-scores from which a matrix cell is shaded z1, z2, z3
POLICY = "default-src 'none'; style-src 'unsafe-inline'"
STYLE = ('body{font-family:sans-serif;max-width:90em;margin:auto;padding:1em;line-height:1.4}'
         '.notice{border:2px solid #c60;padding:0 1em;margin:1em 0}.scroll{overflow-x:auto}'
         'table.matrix{border-collapse:collapse;font-size:11px;margin:1em 0}'
         '.matrix caption{text-align:left;font-size:14px;padding-bottom:.5em}'
         '.matrix th{font-weight:normal;white-space:nowrap;padding:0 .3em}'
         '.matrix th[scope=row]{text-align:right}.matrix th[scope=col]{vertical-align:bottom}'
         '.matrix th span{display:inline-block;overflow:hidden;text-overflow:ellipsis;max-width:12em}'
         '.matrix th[scope=col] span{writing-mode:vertical-rl;transform:rotate(180deg);max-height:12em}'
         '.matrix td{min-width:2em;height:1.7em;text-align:center;border:1px solid #ddd;padding:0}'
         '.matrix td a{color:inherit;display:block}.matrix td.self{background:#eee}'
         '.z1{background:#fde0c5}.z2{background:#f9a86b}.z3{background:#d7301f;color:#fff}'
         '.key span{display:inline-block;padding:0 .5em;border:1px solid #ddd}'
         'details{border:1px solid #ccc;border-radius:4px;padding:.3em .6em;margin:.3em 0}'
         'summary{cursor:pointer}.sides{display:grid;grid-template-columns:1fr 1fr;gap:1em}'
         '.sides>div{min-width:0}pre{overflow:auto;max-height:60em;background:#f7f7f7;padding:.5em;font-size:12px}'
         'mark{background:#f6c4c4}.file{font-weight:bold;color:#036}.gap{color:#888}'
         'svg text{font-size:11px;font-family:sans-serif}')


def page(found, shown, skipped, notice, separator, method):
    """The report's HTML.

    Inputs:
    - found: every pair of the class (id_a, id_b, similarity, zscore, lines), most similar first
    - shown: [(pair, passages)], the pairs whose shared code the page shows, in that order;
      passages: texts (the two documents), spans (each a (2, K) array of the start and end
      offsets of the shared passages in its text) and shares (each document's share found
      in the other)
    - skipped: {id: why it could not be read}
    - notice: the caution shown first
    - separator: how the line that names each file of a document begins
    - method: a sentence on how the pairs were compared

    Returns:
    - the page's text
    """
    compared = {ident for pair in found for ident in (pair.id_a, pair.id_b)}
    values = [pair.similarity for pair in found]
    sections = ['<h1>Similarity report</h1>',
                f'<div class="notice"><p><strong>Read this first.</strong> {html.escape(notice)}</p></div>',
                f'<p>{len(compared)} submissions compared, {len(found)} pairs. pairs.csv, beside this report, lists '
                'every pair with its similarity, z-score and shared lines; this page shows the matrix of the most '
                f'similar submissions and the shared code of the {len(shown)} most similar pairs. '
                f'{html.escape(method)}</p>']
    if skipped:
        sections.append('<p>Not compared (could not be read):</p><ul>' + ''.join(
            f'<li>{html.escape(ident)}: {html.escape(why)}</li>' for ident, why in skipped.items()) + '</ul>')
    sections += ['<h2>Similarity of all pairs</h2>', histogram(values),
                 '<h2>Most similar submissions</h2>', matrix(found, [pair for pair, _ in shown]),
                 '<h2>Most similar pairs</h2>',
                 f'<p>Click a pair to see its two submissions side by side, each as one document of its graded '
                 'files under a line naming the file; the passages they share are marked, with '
                 f'{CONTEXT} lines around them, and ⋮ stands for lines left out. A marked passage runs on through '
                 'the comments, docstrings and skeleton lines inside it, which count for nothing.</p>',
                 *(pair_details(rank, pair, passages, separator) for rank, (pair, passages) in enumerate(shown, 1))]
    return ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f'<meta http-equiv="Content-Security-Policy" content="{POLICY}">'
            '<meta name="viewport" content="width=device-width, initial-scale=1"><title>Similarity report</title>'
            f'<style>{STYLE}</style></head><body>' + '\n'.join(sections) + '</body></html>\n')


def histogram(values, bins=BINS):
    """An inline SVG bar chart of how many pairs have each similarity, each bar labelled with its count."""
    counts = np.histogram(values, bins=bins, range=(0, 1))[0]
    width, height, left, base = 640, 180, 10, 150
    bar, top = (width - 2 * left) / bins, max(counts.max(initial=0), 1)
    shapes = []
    for k, count in enumerate(counts):
        if count:
            tall = max(1.5, (base - 25) * count / top)
            x = left + k * bar
            shapes.append(f'<rect x="{x + 1:.1f}" y="{base - tall:.1f}" width="{bar - 2:.1f}" height="{tall:.1f}" '
                          f'fill="#4a7fb0"><title>{k / bins:.2f} to {(k + 1) / bins:.2f}: {count} pairs</title></rect>'
                          f'<text x="{x + bar / 2:.1f}" y="{base - tall - 3:.1f}" text-anchor="middle">{count}</text>')
    for tick in (0, 0.25, 0.5, 0.75, 1):
        x = left + tick * (width - 2 * left)
        shapes.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{base}" y2="{base + 4}" stroke="#000"/>'
                      f'<text x="{x:.1f}" y="{base + 16}" text-anchor="middle">{tick:g}</text>')
    median = f'median {np.median(values):.2f}, highest {max(values):.2f}' if len(values) else 'no pairs'
    label = f'Number of pairs by similarity, in bars 0.05 wide, from 0 to 1; {median}.'
    return (f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{label}"><title>{label}</title>'
            f'<line x1="{left}" x2="{width - left}" y1="{base}" y2="{base}" stroke="#000"/>{"".join(shapes)}'
            f'</svg><p>Pairs by similarity; {median}. A pair far to the right of the others is worth a look.</p>')


def matrix(found, shown, size=MATRIX):
    """The similarity of every two of the most similar submissions, as a table named on both axes.

    Inputs:
    - found: every pair, most similar first
    - shown: the pairs the page shows in details, in order; their cells link to them
    - size: submissions at most: those of the most similar pairs, in the order they first appear

    Returns:
    - an HTML table: a cell holds the similarity in percent, shaded by the pair's z-score
    """
    names = []
    for pair in found:
        names += [ident for ident in (pair.id_a, pair.id_b) if ident not in names]
        if len(names) >= size:
            break
    names, everyone = names[:size], {ident for pair in found for ident in (pair.id_a, pair.id_b)}
    among = set(names)
    cells = {frozenset((p.id_a, p.id_b)): p for p in found if p.id_a in among and p.id_b in among}
    links = {frozenset((pair.id_a, pair.id_b)): rank for rank, pair in enumerate(shown, 1)}
    which = (f'All {len(names)} submissions' if len(names) == len(everyone) else
             f'The {len(names)} submissions of the most similar pairs, of {len(everyone)} (pairs.csv has every pair)')
    head = ''.join(f'<th scope="col" title="{html.escape(name)}"><span>{html.escape(name)}</span></th>'
                   for name in names)
    rows = [f'<tr><th scope="row" title="{html.escape(name)}"><span>{html.escape(name)}</span></th>'
            + ''.join(_cell(cells.get(frozenset((name, other))), links) if other != name else '<td class="self"></td>'
                      for other in names) + '</tr>' for name in names]
    key = ''.join(f'<span class="z{k}">z-score ≥ {shade}</span> ' for k, shade in enumerate(SHADES, 1))
    return (f'<div class="scroll"><table class="matrix"><caption>{which}, in the order of their most similar pair. '
            'A cell is the similarity of its row and column in percent; a number that is a link opens that pair '
            f'below.</caption><tr><th></th>{head}</tr>' + ''.join(rows) + f'</table></div><p class="key">{key}</p>')


def _cell(pair, links):
    """A matrix cell: the pair's similarity in percent, shaded by z-score, linked when shown below."""
    if pair is None:
        return '<td></td>'
    shade = sum(pair.zscore >= shade for shade in SHADES)
    title = html.escape(f'{pair.id_a} and {pair.id_b}: similarity {pair.similarity:.2f}, z-score {pair.zscore:.1f}')
    number = f'{round(100 * pair.similarity)}'
    rank = links.get(frozenset((pair.id_a, pair.id_b)))
    text = f'<a href="#pair-{rank}">{number}</a>' if rank else number
    return f'<td{f" class=z{shade}" if shade else ""} title="{title}">{text}</td>'


def pair_details(rank, pair, passages, separator):
    """One pair as a <details>: its numbers in the summary, its two documents side by side inside."""
    a, b = html.escape(pair.id_a), html.escape(pair.id_b)
    sides = ''.join(f'<div><h3>{name}: {share:.0%} of its own code found in {other}</h3>'
                    f'<pre><code>{highlighted(text, spans, separator)}</code></pre></div>'
                    for name, other, text, spans, share in zip((a, b), (b, a), passages.texts, passages.spans,
                                                              passages.shares))
    return (f'<details id="pair-{rank}"><summary><b>{rank}.</b> {a} and {b}: similarity {pair.similarity:.2f} '
            f'(z-score {pair.zscore:.1f}), {pair.lines} shared lines</summary><div class="sides">{sides}</div>'
            '</details>')


def highlighted(text, spans, separator, context=CONTEXT):
    """A document as escaped HTML: its shared passages in <mark>, `context` lines around them,
    every line that begins with `separator` as a file's heading, and ⋮ for the lines left out."""
    lines = _marked_lines(text, spans)
    near = np.zeros(len(lines), dtype=bool)
    for number in [number for number, (_, shared) in enumerate(lines) if shared]:
        near[max(0, number - context):number + context + 1] = True
    if not near.any():
        return 'No passage in common.'
    shown, left_out = [], False
    for raw, (line, _), keep in zip(text.split('\n'), lines, near):
        if raw.startswith(separator):
            name = raw[len(separator):].strip()
            if not name:                # the line that closes the last file
                continue
            line = f'<span class="file">{html.escape(name)}</span>'
        elif not keep:
            left_out = True
            continue
        shown += ['<span class="gap">⋮</span>', line] if left_out else [line]
        left_out = False
    return '\n'.join(shown + (['<span class="gap">⋮</span>'] if left_out else []))


def _marked_lines(text, spans):
    """[(line as escaped HTML with its shared pieces in <mark>, whether it has any)] for every line.

    spans: (2, K) array of start and end offsets in text, sorted and disjoint
    """
    starts, ends = (np.asarray(row, dtype=np.int64) for row in spans)
    lines, at, first = [], 0, 0
    for line in text.split('\n'):
        end = at + len(line)
        while first < len(starts) and ends[first] <= at:
            first += 1
        pieces, cursor, k = [], at, first
        while k < len(starts) and starts[k] < end:
            start, stop = max(int(starts[k]), cursor), min(int(ends[k]), end)
            pieces += [html.escape(text[cursor:start]), '<mark>', html.escape(text[start:stop]), '</mark>']
            cursor, k = stop, k + 1
        pieces.append(html.escape(text[cursor:end]))
        lines.append((''.join(pieces), k > first))
        at = end + 1
    return lines
