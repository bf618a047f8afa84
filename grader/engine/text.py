"""Text that comes from a submission (messages, names, output), made fit for results."""

import os


def clean(text, limit):
    """At most `limit` characters (and a note of what was cut), valid UTF-8, printable.

    File names whose bytes are not UTF-8 show those bytes as \\xNN; lone surrogates,
    which no UTF-8 file or terminal accepts, become '?'.
    """
    text = str(text)
    if len(text) > limit:
        text = text[:limit] + f' [... {len(text) - limit} more characters]'
    try:
        raw = os.fsencode(text)
    except UnicodeEncodeError:
        raw = text.encode('utf-8', 'replace')
    return raw.decode('utf-8', 'backslashreplace')


def spreadsheet_safe(value):
    """A cell a spreadsheet shows as text: one that begins like a formula (=, +, -, @, tab,
    carriage return) gets a leading apostrophe, as OWASP's CSV-injection advice says."""
    if isinstance(value, str) and value[:1] in ('=', '+', '-', '@', '\t', '\r'):
        return "'" + value
    return value
