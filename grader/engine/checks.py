"""Comparisons whose failures explain themselves to a student.

Each expect_* function returns quietly when the value is right and otherwise raises
Mismatch, an AssertionError whose message is the feedback: what was expected, what
came back, where they first differ, and, when the difference has a recognisable
cause, what that cause probably is. The causes it names are also data (Mismatch.causes),
so that reports count them without reading the sentences.

A result that is wrong only because a function it calls is wrong raises Consequence
instead (expect_given): the test names that function and does not take the points again.
"""

from dataclasses import dataclass

import numpy as np

from .gradcheck import relative_errors
from .sandbox.worker.runner import Failure

SHOWN_ENTRIES = 3


@dataclass(frozen=True)
class Cause:
    """A recognised mistake: `key` is the same wherever the mistake is recognised (reports
    count by it), `text` is the sentence a student reads."""

    key: str
    text: str


def as_cause(explanation):
    """A known mistake's explanation as a Cause; a plain sentence is its own key."""
    if isinstance(explanation, Cause):
        return Cause(explanation.key, sentence(explanation.text))
    return Cause(sentence(explanation), sentence(explanation))


class Mismatch(AssertionError):
    """A result that is not what the contract asks for; the message is for the student.

    - causes: the Causes the message names, in order
    """

    def __init__(self, message, causes=()):
        super().__init__(message)
        self.causes = tuple(causes)


class Consequence(Mismatch):
    """A result that is wrong, but what it should be given the submission's own results of
    the functions it calls: the fault is theirs.

    - faults: the names of those functions that gave wrong results here
    """

    def __init__(self, message, faults, causes=()):
        super().__init__(message, causes)
        self.faults = tuple(faults)


def _fmt(value):
    return f'{value:.6g}'


def as_array(got, what):
    """`got` as a numpy array, or Mismatch if it is None or not numeric."""
    if got is None:
        raise Mismatch(f'{what} returned None: is a return statement missing?')
    if isinstance(got, (dict, str)):
        raise Mismatch(f'{what} returned a {type(got).__name__}; expected an array')
    try:
        array = np.asarray(got)
    except ValueError as error:
        raise Mismatch(f'{what} returned something that is not a rectangular array ({error})') from None
    if array.dtype.kind not in 'biuf':
        raise Mismatch(f'{what} returned an array of {array.dtype}; expected numbers')
    return array


def ratio_diagnosis(got, expected, factors, tolerance=1e-6, describe_unknown=True, single=False):
    """Explain got ≈ r * expected for a constant r, naming a cause only for a known factor.

    Inputs:
    - got, expected: float arrays of one shape
    - factors: {value: Cause}, e.g. standard_factors(batch=N)
    - tolerance: how constant the ratio must be, relative to itself
    - describe_unknown: whether to state an unrecognised constant ratio (as a fact, without
      a cause); it is never stated for a single number, where any two values have a ratio
    - single: whether a factor may be named from a single non-zero entry (a scalar result,
      such as a loss); in an array, one entry's ratio is a coincidence as often as a cause

    Returns:
    - (a sentence or '' when the two are not proportional or nothing can be said,
      the Cause it names or None)
    """
    scale = np.max(np.abs(expected)) if expected.size else 0.0
    mask = np.abs(expected) > 1e-6 * scale
    if scale == 0 or int(mask.sum()) < (1 if single else 2) or not np.all(np.isfinite(got)):
        return '', None
    ratios = got[mask] / expected[mask]
    r = float(np.median(ratios))
    if r == 0 or np.max(np.abs(ratios - r)) > tolerance * abs(r) or abs(r - 1) < tolerance:
        return '', None
    if not np.allclose(got[~mask], 0, atol=tolerance * scale):
        return '', None
    subject = 'The value is' if got.size == 1 else 'Every entry is'
    for value, cause in factors.items():
        if abs(r - value) <= tolerance * abs(value):
            return f'{subject} {_fmt(r)} times the expected one: {cause.text}.', cause
    if describe_unknown and int(mask.sum()) > 1:
        return f'{subject} {_fmt(r)} times the expected one.', None
    return '', None


def standard_factors(batch=None, classes=None, logs=False):
    """The constant factors of the classic mistakes, for ratio_diagnosis: {factor: Cause}.

    - batch, classes: N and C, to recognise a missing or extra 1/N or 1/C
    - logs: also recognise a logarithm to base 10 or 2 (for losses)
    """
    factors = {-1.0: Cause('sign flipped', 'the sign is flipped'),
               2.0: Cause('factor 2', 'a factor of 2 too many'),
               0.5: Cause('factor 1/2', 'a factor of 1/2 too many (or a 2 missing)')}
    if batch and batch > 1:
        factors[float(batch)] = Cause('missing 1/N', f'a missing 1/N (N = {batch}): average over the batch, '
                                                     'do not only sum')
        factors[1.0 / batch] = Cause('extra 1/N', f'an extra 1/N (N = {batch}): the average is taken only once')
    if classes and classes > 1:
        factors[1.0 / classes] = Cause('extra 1/C', f'an extra 1/C (C = {classes}): average over the N samples, '
                                                    'not the N*C entries')
        factors[float(classes)] = Cause('factor C', f'a factor of C (C = {classes}) too many')
    if logs:
        factors[float(np.log10(np.e))] = Cause('log10', 'log10(e): a base-10 logarithm; cross-entropy uses the '
                                                        'natural log, np.log')
        factors[float(1 / np.log(2))] = Cause('log2', '1/ln(2): a base-2 logarithm; cross-entropy uses the '
                                                      'natural log, np.log')
    return factors


def _first_differences(got, expected, close):
    bad = np.argwhere(~close)[:SHOWN_ENTRIES]
    return '; '.join(f'at {list(map(int, index))}: expected {_fmt(expected[tuple(index)])}, '
                     f'got {_fmt(got[tuple(index)])}' for index in bad)


def sentence(text):
    """An explanation as a sentence: capitalised, ending with a full stop."""
    text = text[:1].upper() + text[1:]
    return text if text.endswith(('.', '!', '?')) else text + '.'


def recognised(array, known_mistakes, rtol=1e-6, atol=1e-9):
    """The Cause of the known mistake `array` equals, as a list of at most one; none when it
    equals two known mistakes with different causes, on inputs where they give the same answer.

    - known_mistakes: pairs (wrong answer, explanation: a sentence or a Cause)
    """
    causes = {cause.key: cause for cause in (as_cause(explanation) for wrong, explanation in known_mistakes
                                              if np.shape(wrong) == np.shape(array)
                                              and np.allclose(array, wrong, rtol=rtol, atol=atol))}
    return list(causes.values()) if len(causes) == 1 else []


def _diagnosed(array, expected, known_mistakes, factors, rtol, ratio_tolerance):
    """(sentences, [Cause]): the known mistake `array` equals or else the constant factor
    that relates it to `expected`; ('', []) when there is nothing to say."""
    causes = recognised(array, known_mistakes, rtol=rtol)
    if causes:
        return causes[0].text, causes
    text, cause = ratio_diagnosis(array, expected, factors, tolerance=ratio_tolerance)
    return text, [cause] if cause else []


def expect_array(got, expected, what, rtol=1e-7, atol=1e-10, batch=None, classes=None,
                 known_mistakes=(), stability_hint=None):
    """Check an array result against the expected one.

    A result in a recognisable wrong layout (an (H,) bias for (1, H), a transpose) is
    also compared in the expected layout, so that one message reports both problems.

    Inputs:
    - got: the submission's result
    - expected: float array
    - what: how to name the call, e.g. 'forward(x) for inputs up to 1e4'
    - rtol, atol: tolerances of np.isclose
    - batch, classes: N and C, to recognise a missing or extra 1/N or 1/C
    - known_mistakes: pairs (wrong_answer, explanation) this test can recognise
    - stability_hint: what to say when got has NaN or inf where expected does not
    """
    array = as_array(got, what)
    expected = np.asarray(expected, dtype=np.float64)
    fixed, layout, how = _layout(array, expected, what)
    if array.shape == expected.shape and array.dtype.kind != 'f':
        raise Mismatch(f'{what} returned an array of dtype {array.dtype}; expected a float array '
                       '(use float values such as 1.0, or .astype(float))')
    values, causes = (_value_problems(fixed.astype(np.float64), expected, rtol, atol, known_mistakes,
                                      standard_factors(batch, classes), stability_hint)
                      if fixed is not None else ('', []))
    if layout:
        raise Mismatch(f'{layout} {how}, it also has {values}' if values else
                       layout + _RIGHT_VALUES.get(how, '') * (fixed is not None), causes)
    if values:
        raise Mismatch(f'{what} returned {values}', causes)


_RIGHT_VALUES = {'Transposed': ' The values are right but transposed: check the order of the matrix product.'}


def _value_problems(array, expected, rtol, atol, known_mistakes, factors, stability_hint=None):
    """(what is wrong with the values of an array of the expected shape, '' if nothing; the
    Causes it names).

    The text continues '<what> returned ...': 'wrong values in 2 of 6 entries; ...'.
    """
    finite = np.isfinite(expected)
    if np.any(~np.isfinite(array) & finite):
        count = int(np.sum(~np.isfinite(array) & finite))
        hint = stability_hint or 'an exp or a log overflowed: use a numerically stable form'
        return f'NaN or inf in {count} entries where the right values are finite: {hint}.', [
            Cause('not finite', sentence(hint))]
    close = np.isclose(array, expected, rtol=rtol, atol=atol)
    if close.all():
        return '', []
    why, causes = _diagnosed(array, expected, known_mistakes, factors, rtol=1e-6, ratio_tolerance=1e-6)
    first = (f'wrong values in {int(np.sum(~close))} of {close.size} entries; '
             f'{_first_differences(array, expected, close)}.')
    return ' '.join(line for line in (first, why) if line), causes


def _layout(array, expected, what):
    """(array in the expected layout or None, what to say about its shape, how it was brought
    to the expected layout); the message is '' when the shape is right."""
    if array.shape == expected.shape:
        return array, '', ''
    message = f'{what} returned shape {array.shape}; expected {expected.shape}.'
    if expected.ndim == 2 and expected.shape[0] == 1 and array.shape == expected.shape[1:]:
        return (array.reshape(expected.shape), message + f' A bias or its gradient is a row vector of shape '
                f'{expected.shape}: sum with keepdims=True, or reshape(1, -1).', f'Reshaped to {expected.shape}')
    if array.ndim == 2 and array.shape == expected.shape[::-1]:
        return array.T, message, 'Transposed'
    if array.size == expected.size and np.allclose(array.reshape(expected.shape), expected, rtol=1e-6, atol=1e-9):
        message += ' The values are right but laid out in the wrong shape.'
    return None, message, ''


def expect_every(checks):
    """Run every check, then raise one Mismatch with the messages of all that failed, so that
    a result's independent problems (one gradient's shape, another's values) are reported together.

    Failures that are all Consequences make one Consequence; one that is wrong in its own
    right makes the whole a Mismatch, so that a case excused by another function's mistake
    never hides a case that is wrong on its own.

    Inputs:
    - checks: functions of no arguments that raise Mismatch
    """
    cases = Cases()
    for check in checks:
        with cases:
            check()
    cases.expect()


class Cases:
    """The cases of one test, every one checked, judged together as expect_every judges its
    checks: `with cases:` around each case's checks, then cases.expect()."""

    def __init__(self):
        self._failures = []

    def __enter__(self):
        return self

    def __exit__(self, kind, error, trace):
        if isinstance(error, Mismatch):
            self._failures.append(error)
            return True
        return False

    def expect(self):
        """Raise what the failed cases make together: nothing when none failed."""
        failures = self._failures
        if not failures:
            return
        causes = list(dict.fromkeys(cause for failure in failures for cause in failure.causes))
        own = [failure for failure in failures if not isinstance(failure, Consequence)]
        message = '\n'.join(str(failure) for failure in (own or failures))
        if own:
            raise Mismatch(message, causes)
        raise Consequence(message, dict.fromkeys(fault for failure in failures for fault in failure.faults), causes)


def expect_keys(got, keys, what):
    """Check that a result is a dict with exactly these keys; returns it."""
    if not isinstance(got, dict):
        raise Mismatch(f'{what} returned a {type(got).__name__}; expected a dict with keys {sorted(keys)}')
    if set(got) != set(keys):
        raise Mismatch(f'{what} returned keys {sorted(got)}; expected {sorted(keys)}')
    return got


def expect_probabilities(got, what):
    """Check that each row of an (N, C) result is a probability distribution."""
    array = as_array(got, what)
    if array.ndim != 2 or array.dtype.kind != 'f' or not np.all(np.isfinite(array)):
        return
    rows, columns = array.sum(axis=1), array.sum(axis=0)
    if np.allclose(rows, 1.0, atol=1e-9):
        return
    if np.allclose(columns, 1.0, atol=1e-9):
        why = 'each column sums to 1 instead of each row; a row is one sample, so normalise over axis=1'
        raise Mismatch(f'{what}: {why}', [Cause('normalised over the wrong axis', sentence(why))])
    raise Mismatch(f'{what}: the rows should sum to 1 but sum to {rows[:SHOWN_ENTRIES].tolist()}...')


def expect_scalar(got, expected, what, rtol=1e-7, atol=1e-10, batch=None, classes=None,
                  known_mistakes=()):
    """Check a float result (a Python or numpy float, or a one-element array).

    A wrong value is explained only by a known mistake or a recognised factor (1/N, 1/C,
    2, a base-10 log, ...): the ratio of two numbers alone says nothing about its cause.
    """
    array = as_array(got, what)
    if array.size != 1:
        raise Mismatch(f'{what} returned an array of shape {array.shape}; expected a single float')
    value = float(array.reshape(()))
    if not np.isfinite(value) and np.isfinite(expected):
        raise Mismatch(f'{what} returned {value}; expected the finite value {_fmt(expected)}: a log '
                       'of 0 or an overflow? Take logs only where they are needed, in a stable form.')
    if np.isclose(value, expected, rtol=rtol, atol=atol):
        return
    causes = recognised(value, known_mistakes, rtol=1e-6, atol=1e-8)
    why = causes[0].text if causes else ''
    if not causes:
        why, cause = ratio_diagnosis(np.array([value]), np.array([float(expected)]),
                                     standard_factors(batch, classes, logs=True), single=True)
        causes = [cause] if cause else []
    first = f'{what} returned {_fmt(value)}; expected {_fmt(expected)}.'
    raise Mismatch(' '.join(line for line in (first, why) if line), causes)


def expect_labels(got, n, classes, what):
    """Check predicted labels: an integer array of shape (n,) with values in 0..classes-1."""
    array = as_array(got, what)
    if array.shape != (n,):
        raise Mismatch(f'{what} returned shape {array.shape}; expected ({n},), one label per sample'
                       + (' (use argmax along axis=1)' if array.ndim == 2 else ''))
    if array.dtype.kind not in 'iu':
        raise Mismatch(f'{what} returned dtype {array.dtype}; expected integer labels')
    if array.size and (array.min() < 0 or array.max() >= classes):
        raise Mismatch(f'{what} returned labels from {array.min()} to {array.max()}; expected 0..{classes - 1}')
    return array


def expect_params(got, expected_shapes, what):
    """Check a dict of arrays has exactly the expected keys and shapes; returns it."""
    expect_keys(got, expected_shapes, what)
    for key, shape in expected_shapes.items():
        array = as_array(got[key], f'{what}[{key!r}]')
        if array.shape != tuple(shape):
            raise Mismatch(_layout(array, np.zeros(shape), f'{what}[{key!r}]')[1])
    return got


GRADIENT_TOLERANCE = 1e-5


def expect_gradient(analytic, numeric, what, tolerance=GRADIENT_TOLERANCE, batch=None, known_mistakes=()):
    """Check an analytic gradient against a centered-difference one by relative error.

    The relative error of an entry is gradcheck.relative_errors: |a - b| / max(|a| + |b|,
    FLOOR * max|b|, SMALLEST).
    A gradient in a recognisable wrong layout is also checked in the expected one, so that
    one message reports both problems.

    Inputs:
    - analytic: the submission's gradient
    - numeric: the centered-difference gradient, float64
    - what: e.g. "gradients(...)['W'], the gradient of loss with respect to W"
    - tolerance: the largest relative error accepted
    - batch: N, to recognise a missing or extra 1/N
    - known_mistakes: pairs (wrong_answer, explanation) this test can recognise
    """
    array = as_array(analytic, what)
    numeric = np.asarray(numeric, dtype=np.float64)
    fixed, layout, how = _layout(array, numeric, what)
    problems, causes = (_gradient_problems(fixed.astype(np.float64), numeric, tolerance, batch, known_mistakes)
                        if fixed is not None else ('', []))
    if layout:
        raise Mismatch(f'{layout} {how}, it also {problems}' if problems else
                       layout + _RIGHT_VALUES.get(how, '') * (fixed is not None), causes)
    if problems:
        raise Mismatch(f'{what} {problems}', causes)


def _gradient_problems(array, numeric, tolerance, batch, known_mistakes):
    """(what is wrong with a gradient of the expected shape, '' if nothing; the Causes it
    names); the text continues '<what> ...': 'fails the numerical gradient check: ...'."""
    if not np.all(np.isfinite(array)):
        return 'has NaN or inf entries: an exp or a log overflowed.', [
            Cause('not finite', 'An exp or a log overflowed.')]
    elementwise = relative_errors(array, numeric)
    error = float(np.max(elementwise, initial=0.0))
    if error <= tolerance:
        return '', []
    index = tuple(int(i) for i in np.unravel_index(np.argmax(elementwise), numeric.shape))
    first = (f'fails the numerical gradient check: largest relative error {error:.2e} '
             f'(accepted: {tolerance:.0e}) at {list(index)}, where the analytic gradient is '
             f'{_fmt(array[index])} and the centered difference gives {_fmt(numeric[index])}.')
    why, causes = _diagnosed(array, numeric, known_mistakes, standard_factors(batch), rtol=1e-5,
                             ratio_tolerance=1e-4)
    return ' '.join(line for line in (first, why) if line), causes


def expect_raises(call, exception, what):
    """Check that call() makes the student's code raise `exception` (a class name).

    Inputs:
    - call: function of no arguments that calls the submission
    - exception: e.g. 'ValueError'; subclasses count
    - what: how to name the call
    """
    try:
        call()
    except Failure as failure:
        if exception in failure.exception_types:
            return
        if failure.outcome != 'error':
            raise
        raise Mismatch(f'{what} raised {failure.exception_types[0]}; expected {exception}.\n'
                       f'{failure.message}') from None
    raise Mismatch(f'{what} returned a value; it must raise {exception}')



def expect_same(got, reference, what):
    """Check two results of the submission agree exactly: arrays, numbers, or dicts of arrays."""
    if isinstance(reference, dict):
        if not isinstance(got, dict) or set(got) != set(reference):
            raise Mismatch(f'{what} returned keys {sorted(got) if isinstance(got, dict) else type(got).__name__}; '
                           f'with the defaults spelled out: {sorted(reference)}')
        for key in reference:
            expect_same(got[key], reference[key], f'{what}[{key!r}]')
        return
    got_array, reference_array = as_array(got, what), as_array(reference, what)
    if got_array.shape != reference_array.shape or not np.array_equal(got_array, reference_array):
        raise Mismatch(f'{what} differs from the same call with the contract\'s defaults spelled out: '
                       'check the default values of your parameters against the contract')


# What a check against the submission's own results may raise when those results are unusable,
# or when a function it asks for is not part of the graded modules (AttributeError).
_UNUSABLE = (Mismatch, Failure, ArithmeticError, AttributeError, TypeError, ValueError, KeyError, IndexError)


def expect_given(check, given, what):
    """Check a result against the right answer and, when it is wrong, against what it should
    be given the submission's own results of the functions it calls (a relative expectation),
    so that a mistake costs points in the tests of the function that makes it, not again here.

    Inputs:
    - check: function of no arguments; raises Mismatch when the result is not the right answer
    - given: function of no arguments that asks for the submission's results of the
      functions the result depends on (through the seam: no submission code runs in the
      grader) and returns the names of those whose results are wrong here, when the result
      is what follows from them; it raises Mismatch (or returns nothing) when it is not
    - what: how to name the call, e.g. 'forward(x, W)'

    Raises the Mismatch of `check` when the result is wrong in its own right, and Consequence
    when it follows from the wrong results of the functions `given` names.
    """
    try:
        check()
    except Mismatch as mismatch:
        try:
            faults = given()
        except _UNUSABLE:
            faults = ()
        if not faults:
            raise mismatch from None
        raise Consequence(consequence_text(what, faults, mismatch), faults, mismatch.causes) from None


def follows_known(got, own, variants, rtol=1e-7, atol=1e-10):
    """For expect_given, from data: the function at fault when a dependency's result is a
    known wrong one and `got` is what follows from it, as a one-name tuple, else ().

    Inputs:
    - got: the result under test
    - own: {function name: function of no arguments giving the submission's result of that
      dependency on the same inputs}
    - variants: [{'fault': name, 'wrong': the known wrong result of that dependency,
      'result': what the result under test is given it}]
    """
    results = {}
    for variant in variants:
        name = variant['fault']
        if name not in results:
            results[name] = np.asarray(own[name](), dtype=np.float64)
        if (np.shape(results[name]) == np.shape(variant['wrong'])
                and np.allclose(results[name], variant['wrong'], rtol=rtol, atol=atol)
                and np.shape(got) == np.shape(variant['result'])
                and np.allclose(np.asarray(got, dtype=np.float64), variant['result'], rtol=rtol, atol=atol)):
            return (name,)
    return ()


def consequence_text(what, faults, mismatch):
    """The feedback of a result that follows from the wrong results of `faults`."""
    names = ' and '.join(faults)
    return (f'{what} is wrong only because your {names} {"is" if len(faults) == 1 else "are"} wrong on these '
            f'inputs: it is exactly what it should be given the results of your {names}. Fix {names} first '
            f'(see {"its" if len(faults) == 1 else "their"} tests).\n'
            f'Compared with the right answer: {mismatch}')
