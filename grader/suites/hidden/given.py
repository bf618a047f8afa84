"""Relative expectations: what a composite function should return given the submission's own
results of the functions it calls.

The reference's composite is run in the grader with those functions replaced by stand-ins
that ask the submission for its result through the seam (plain data back, no submission
code here) and note the ones whose result differs from the reference's on the same inputs.
The derivation is written once, in solution/; a test passes the stand-ins' verdict to
checks.expect_given, so that a wrong gradCE costs points in gradCE's tests only, not again
in every gradient built on it.
"""

import importlib
from contextlib import contextmanager
from unittest import mock

import numpy as np

from grader.engine.checks import Mismatch, expect_array, expect_given, expect_keys
from grader.spec import SPEC


def _same(got, want):
    """Whether a stand-in's result is the reference's: arrays, numbers, or tuples of them."""
    if isinstance(want, tuple):
        return isinstance(got, (tuple, list)) and len(got) == len(want) and all(map(_same, got, want))
    try:
        got = np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError):
        return False
    return got.shape == np.shape(want) and np.allclose(got, want, rtol=1e-7, atol=1e-10)


def _same_exactly(got, again):
    """Whether two answers of the submission to the same call are the same numbers."""
    if isinstance(got, (tuple, list)):
        return isinstance(again, (tuple, list)) and len(got) == len(again) and all(map(_same_exactly, got, again))
    try:
        return np.array_equal(np.asarray(got, dtype=np.float64), np.asarray(again, dtype=np.float64), equal_nan=True)
    except (TypeError, ValueError):
        return False


def _same_form(got, want):
    """Whether a stand-in's result has the reference's form: the same shapes, item by item. The
    reference's code only runs on results of that form, so that what a submission returns
    never makes the grader compute with shapes of its choosing."""
    if isinstance(want, tuple):
        return isinstance(got, (tuple, list)) and len(got) == len(want) and all(map(_same_form, got, want))
    return np.shape(got) == np.shape(want) and not isinstance(got, (dict, str))


def _degenerate(got):
    """Whether a result is one that makes what is built on it trivial: an array of one value
    repeated (zeros, say), or not finite. A wrong result of that kind excuses nothing: what
    follows from it can be matched without the composite's derivation."""
    if isinstance(got, (tuple, list)):
        return any(_degenerate(item) for item in got)
    array = np.asarray(got, dtype=np.float64)
    return not np.all(np.isfinite(array)) or (array.size > 1 and np.ptp(array) == 0)


class Own:
    """Stand-ins for the functions a reference module calls, answering with the submission's results.

    A function of a module this grading leaves out (an offering of some parts) is not graded
    here, so it cannot be at fault: its stand-in answers with the reference's result.

    Inputs:
    - student: the seam
    - names: {function name: module of the submission that defines it}, e.g. {'gradCE': 'losses'}
    - reference: {function name: the reference's function}, to know which results are wrong
    """

    def __init__(self, student, names, reference):
        self.faults = []
        self.answers = []       # (function, args, kwargs, what the submission answered), in order
        self._student, self._names, self._reference = student, names, reference

    def _stand_in(self, name):
        module = getattr(self._student, self._names[name], None)
        if module is None:
            return self._reference[name]

        def call(*args, **kwargs):
            got, want = getattr(module, name)(*args, **kwargs), self._reference[name](*args, **kwargs)
            self.answers.append((name, args, kwargs, got))
            if not _same_form(got, want):
                raise Mismatch(f'your {name} returned a result of another form than the reference\'s')
            if not _same(got, want):
                if _degenerate(got):
                    raise Mismatch(f'your {name} returned a degenerate result; nothing built on it is excused')
                if name not in self.faults:
                    self.faults.append(name)
            return tuple(got) if isinstance(got, list) else got
        return call

    def expect_stateless(self):
        """Ask the submission again for every wrong answer its stand-ins gave, each in a fresh
        worker: Mismatch unless it gives the same. A function whose answer depends on what the
        submission did before (on the composite's own call, say) could otherwise choose the
        result that excuses a composite it never computed."""
        for name, args, kwargs, got in self.answers:
            if name not in self.faults:
                continue
            self._student.forget()
            again = getattr(getattr(self._student, self._names[name]), name)(*args, **kwargs)
            if not _same_exactly(again, got):
                raise Mismatch(f'your {name} answered the same arguments differently when asked again; nothing built '
                               'on it is excused')

    @contextmanager
    def inside(self, module):
        """The reference `module` with the named functions replaced by the stand-ins."""
        with mock.patch.multiple(module, **{name: self._stand_in(name) for name in self._names}):
            yield


def faults_given(student, module, function, call, got, what, rtol=1e-7, atol=1e-10):
    """For expect_given: the names of the functions at fault when `got` is what the reference's
    `call` returns with the submission's own results of the functions `function` is built on
    (SPEC.calls), else ().

    Inputs:
    - student: the seam
    - module: the reference module whose function `call` runs, e.g. solution.two_layer
    - function: the composite, e.g. 'dL_dW_h'
    - call: function of no arguments running the reference's composite
    - got: what the submission's composite returned: an array, a float, a dict of arrays, or a
      tuple whose items are any of these
    - what: how to name the call
    """
    names = SPEC.built_on(function)
    own = Own(student, names, {name: getattr(module, name) for name in names})
    with own.inside(module):
        relative = call()
    _expect_like(got, relative, what, rtol, atol)
    own.expect_stateless()
    return tuple(own.faults)


def _expect_like(got, want, what, rtol, atol):
    """Mismatch unless got equals want, item by item for tuples and dicts."""
    if isinstance(want, tuple):
        if not isinstance(got, (tuple, list)) or len(got) != len(want):
            raise Mismatch(f'{what} returned no tuple of {len(want)}')
        for item, wanted in zip(got, want):
            _expect_like(item, wanted, what, rtol, atol)
    elif isinstance(want, dict):
        for key in expect_keys(got, want, what):
            _expect_like(got[key], want[key], what, rtol, atol)
    else:
        expect_array(np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64), what,
                     rtol=rtol, atol=atol)


def expect_result_given(student, module, function, call, got, what, check=expect_array, **options):
    """check(got, call(), what, **options) and, when it fails, the same against the reference's
    `call` run on the submission's own results of the functions `function` is built on:
    checks.expect_given for a result the reference computes. check: expect_array or expect_scalar."""
    tolerances = {key: options[key] for key in ('rtol', 'atol') if key in options}
    expect_given(lambda: check(got, call(), what, **options),
                 lambda: faults_given(student, module, function, call, got, what, **tolerances), what)


def reference_faults(student, function, args, got, what, select=None, dependencies=None, rtol=1e-7, atol=1e-10):
    """faults_given for the reference's `function`(*args), found in the reference module the
    spec says defines it. The public suite's relative expectations (grader/suites/public/relative.py)
    come here.

    Inputs:
    - select: function taking the reference's result to the part `got` is (None: all of it)
    - dependencies: the function whose dependencies (SPEC.calls) stand in, when the part
      `got` is depends on fewer than `function` does, e.g. 'cnn_predict' for cnn_loss_and_grads's
      loss; None for `function`
    """
    module = importlib.import_module(f'{SPEC.solution}.{SPEC.module_of(function)}')

    def call():
        result = getattr(module, function)(*args)
        return result if select is None else select(result)

    return faults_given(student, module, dependencies or function, call, got, what, rtol, atol)
