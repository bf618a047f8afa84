"""The answers pages: each submission's written answers and figures on one page, for a TA.

`python -m grader answers` writes DIR/index.html, which lists every submission with how
many questions it answers and links to DIR/answers/<id>.html: the questions in order,
each with the student's answer or a box that says it is missing, the list of missing
answers at the top, then the figures the student's own code drew (or why each was not).

Every page is one self-contained file: figures are PNGs inlined as data URIs, the style is
inline, there is no script, and a Content-Security-Policy forbids loading anything. An
answer is untrusted text: it is shown through a small Markdown renderer that escapes
every character first and only then adds its own tags (paragraphs, lists, quotes, code,
emphasis); a link or an image is shown as its text and address, never followed or loaded.
"""

import base64
import hashlib
import html
import re
from pathlib import Path

from ..spec import format_parts
from .class_report import POLICY

PAGES = 'answers'             # DIR/answers/<id>.html
MAX_QUOTES = 4                # quotes shown nested in one another
STYLE = ('body{font-family:system-ui,sans-serif;max-width:60em;margin:auto;padding:0 1em 2em;line-height:1.45;'
         'color:#222}h2{border-bottom:1px solid #bbb;margin-top:1.6em;font-size:1.2em}'
         'blockquote{margin:.4em 0;padding:.1em 1em;border-left:4px solid #ccc;color:#444;background:#f7f7f7}'
         '.answer{padding:.1em 1em;border-left:4px solid #3182bd}.missing{padding:.5em 1em;background:#fff3e0;'
         'border-left:4px solid #e6550d}pre{background:#f4f4f4;padding:.5em;overflow-x:auto;white-space:pre-wrap}'
         'code{background:#f4f4f4;padding:0 .2em}table{border-collapse:collapse}th,td{border:1px solid #bbb;'
         'padding:.2em .5em;text-align:left;vertical-align:top}th{background:#f2f2f2}td.n{text-align:right}'
         'img{max-width:100%;height:auto;display:block;border:1px solid #ddd}figure{margin:1em 0}'
         'p.note,ul.notes{font-size:.9em;color:#555}nav{background:#f4f4f4;padding:.4em .8em;border-radius:4px}')
FENCE = re.compile(r'^[ \t]{0,3}(```+|~~~+)')
ITEM = re.compile(r'^([ \t]*)([-*+]|\d{1,9}[.)])[ \t]+(.*)$')
TITLE = re.compile(r'^[ \t]{0,3}(#{1,6})[ \t]+(.*?)[ \t#]*$')
CODE_SPAN = re.compile(r'(`{1,10})(.{1,2000}?)\1', re.DOTALL)
# Bounded, possessive runs: an answer of '[](a' repeated must take linear time, not cubic.
LINK = re.compile(r'(!?)\[([^\]\n]{0,500})\]\(([^)\s]{0,2000}+)[^)\n]{0,200}+\)')
STRONG = re.compile(r'(\*\*|__)(?=\S)(.{1,300}?)(?<=\S)\1', re.DOTALL)
EMPHASIS = re.compile(r'(?<![*\w])([*_])(?=\S)(.{1,300}?)(?<=\S)\1(?![*\w])', re.DOTALL)


def page_name(ident):
    """The file name of a submission's page: its id where that is a plain name, else a
    plain form of it with a hash of the id, so that two ids never share a page."""
    if re.fullmatch(r'[A-Za-z0-9][A-Za-z0-9_.-]{0,120}', ident) and ident.lower() != 'index':
        return f'{ident}.html'
    plain = re.sub(r'[^A-Za-z0-9_.-]+', '_', ident).strip('._')[:80] or 'submission'
    return f'{plain}-{hashlib.sha256(ident.encode("utf-8", "surrogateescape")).hexdigest()[:10]}.html'


def student_page(title, ident, answers, figures):
    """The HTML of one submission's page.

    Inputs:
    - title: the homework's title
    - ident: the submission's id
    - answers: its answers.Answers
    - figures: its figures.Figures, or None when figures were not drawn
    """
    esc = html.escape
    total = sum(question.points for question in answers.questions)
    missing = answers.missing
    head = [f'<p><a href="../index.html">All submissions</a></p><h1>{esc(ident)}: written answers</h1>',
            f'<p>{esc(title)}. {len(answers.answered)} of {len(answers.questions)} questions answered'
            + (f' (read from {esc(", ".join(answers.sources))})' if answers.sources else '')
            + f'. These questions are graded by hand: {total:g} points in all, on top of the autograded score.</p>']
    if missing:
        links = ', '.join(f'<a href="#q{q.number}">{q.number}</a>' for q in missing)
        head.append(f'<p class="missing"><strong>Missing answers ({len(missing)}):</strong> questions {links}.</p>')
    if answers.notes:
        head.append('<ul class="notes">' + ''.join(f'<li>{esc(note)}</li>' for note in answers.notes) + '</ul>')
    if figures is not None:
        head.append('<p><a href="#figures">The figures this submission\'s code draws</a></p>')
    body = [_question(question, answers.given[question.number]) for question in answers.questions]
    body.append(_figures(figures))
    return _document(f'{ident}: written answers', head + body)


def _question(question, answer):
    esc = html.escape
    parts = [f'<section id="q{question.number}"><h2>{esc(question.label)}</h2>',
             f'<blockquote>{markdown(question.text)}</blockquote>']
    if not answer.text:
        parts.append('<p class="missing">No answer.</p>')
    else:
        parts.append(f'<div class="answer">{markdown(answer.text)}</div>')
        if answer.cut:
            parts.append(f'<p class="note">The answer was cut here: {answer.cut} more characters were left out.</p>')
        parts.append(f'<p class="note">From {esc(answer.source)}.</p>')
    return ''.join(parts) + '</section>'


def _figures(figures):
    if figures is None:
        return ''
    esc = html.escape
    parts = ['<section id="figures"><h2>Figures drawn by this submission\'s code</h2>']
    if figures.error:
        parts.append(f'<p class="missing">{esc(figures.error)}</p>')
    for name, data in figures.drawn:
        uri = 'data:image/png;base64,' + base64.b64encode(data).decode('ascii')
        parts.append(f'<figure><img src="{uri}" alt="{esc(name)}, drawn by this submission\'s code">'
                     f'<figcaption>{esc(name)}</figcaption></figure>')
    if figures.not_drawn:
        parts.append('<p>Not drawn:</p><ul>' + ''.join(f'<li><code>{esc(name)}</code>: {esc(why)}</li>'
                                                        for name, why in figures.not_drawn.items()) + '</ul>')
    if not (figures.error or figures.drawn or figures.not_drawn):
        parts.append('<p>This assignment draws no figure from the parts it offers.</p>')
    return ''.join(parts) + '</section>'


def index_page(title, entries, figures_drawn):
    """The HTML of the index.

    Inputs:
    - title: the homework's title
    - entries: [(id, answers.Answers, figures.Figures or None)], in order
    - figures_drawn: whether figures were asked for
    """
    esc = html.escape
    count = len(entries[0][1].questions) if entries else 0
    total = sum(question.points for question in entries[0][1].questions) if entries else 0
    rows = ['<tr><th>submission</th><th>answered</th><th>missing</th>'
            + ('<th>figures</th>' if figures_drawn else '') + '<th>notes</th></tr>']
    for ident, answers, figures in entries:
        missing = format_parts([question.number for question in answers.missing]).replace(',', ', ') or '-'
        row = (f'<tr><td><a href="{PAGES}/{esc(page_name(ident))}">{esc(ident)}</a></td>'
               f'<td class="n">{len(answers.answered)} / {count}</td><td>{esc(missing)}</td>')
        if figures_drawn:
            shown = (esc(figures.error) if figures is not None and figures.error else
                     f'{len(figures.drawn)} / {len(figures.drawn) + len(figures.not_drawn)}' if figures is not None
                     else '-')
            row += f'<td>{shown}</td>'
        rows.append(row + f'<td class="n">{len(answers.notes) or ""}</td></tr>')
    lead = (f'<h1>{esc(title)}: written answers</h1><p>{len(entries)} submissions; {count} questions worth '
            f'{total:g} points, graded by hand on top of the autograded score. A missing answer is one the '
            'submission does not give, in its answers file or in its notebook\'s answer cells.'
            + ('' if figures_drawn else ' Figures were not drawn (--no-figures).') + '</p>')
    return _document(f'{title}: written answers', [lead, '<table>' + ''.join(rows) + '</table>'])


def write(out, title, entries, figures_drawn):
    """Write out/index.html and one page per submission in out/answers/; the index's path."""
    out = Path(out)
    (out / PAGES).mkdir(parents=True, exist_ok=True)
    for ident, answers, figures in entries:
        (out / PAGES / page_name(ident)).write_text(student_page(title, ident, answers, figures), encoding='utf-8')
    index = out / 'index.html'
    index.write_text(index_page(title, entries, figures_drawn), encoding='utf-8')
    return index


def _document(title, sections):
    return ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta http-equiv="Content-Security-Policy" content="{POLICY}"><title>{html.escape(title)}</title>'
            f'<style>{STYLE}</style></head><body>' + '\n'.join(sections) + '</body></html>\n')


def markdown(text, depth=0):
    """HTML of Markdown text from a submission, safely: fenced code, headings, lists, quotes
    (nested up to MAX_QUOTES deep) and paragraphs, with code spans and emphasis inside;
    everything else shows as written."""
    blocks, lines, index = [], text.split('\n'), 0
    while index < len(lines):
        line = lines[index]
        fence = FENCE.match(line)
        if fence:
            end = next((j for j in range(index + 1, len(lines)) if lines[j].strip().startswith(fence[1])), len(lines))
            blocks.append(f'<pre><code>{html.escape(chr(10).join(lines[index + 1:end]))}</code></pre>')
            index = end + 1
        elif not line.strip():
            index += 1
        elif TITLE.match(line):
            blocks.append(f'<p><strong>{inline(TITLE.match(line)[2])}</strong></p>')
            index += 1
        elif line.lstrip().startswith('>'):
            end = _run(lines, index, lambda item: item.lstrip().startswith('>'))
            quote = '\n'.join(item.lstrip()[1:].removeprefix(' ') for item in lines[index:end])
            inner = markdown(quote, depth + 1) if depth < MAX_QUOTES else f'<p>{inline(quote)}</p>'
            blocks.append(f'<blockquote>{inner}</blockquote>')
            index = end
        elif ITEM.match(line):
            end = _run(lines, index, lambda item: bool(item.strip()) and not FENCE.match(item))
            blocks.append(_list(lines[index:end]))
            index = end
        else:
            end = _run(lines, index, lambda item: bool(item.strip()) and not (
                FENCE.match(item) or TITLE.match(item) or item.lstrip().startswith('>') or ITEM.match(item)))
            blocks.append(f'<p>{inline(chr(10).join(lines[index:end]))}</p>')
            index = end
    return '\n'.join(blocks)


def _run(lines, start, belongs):
    """The index after the lines from `start` on that `belongs` accepts (at least one)."""
    end = start + 1
    while end < len(lines) and belongs(lines[end]):
        end += 1
    return end


def _list(lines):
    """A list of items (and lines that continue them); numbered when the first item is."""
    items = []
    for line in lines:
        item = ITEM.match(line)
        if item and (not items or len(item[1]) <= len(items[0][0])):
            items.append((item[1], [item[3]]))
        elif items:
            items[-1][1].append(line.strip())
    tag = 'ol' if ITEM.match(lines[0])[2][0].isdigit() else 'ul'
    return f'<{tag}>' + ''.join(f'<li>{inline(chr(10).join(text))}</li>' for _, text in items) + f'</{tag}>'


def inline(text):
    """HTML of a paragraph's text: escaped, then code spans, emphasis, and links shown as text."""
    pieces, position = [], 0
    for span in CODE_SPAN.finditer(text):
        pieces.append(_emphasis(text[position:span.start()]))
        pieces.append(f'<code>{html.escape(span[2].strip())}</code>')
        position = span.end()
    pieces.append(_emphasis(text[position:]))
    return ''.join(pieces)


def _emphasis(text):
    def link(match):
        kind = 'image' if match[1] else 'link'
        return f'[{kind}: {match[2]}] ({match[3]})' if match[3] else match[0]
    escaped = html.escape(LINK.sub(link, text))
    escaped = STRONG.sub(r'<strong>\2</strong>', escaped)
    return EMPHASIS.sub(r'<em>\2</em>', escaped)
