"""A public test's relative expectation, where the grader holds the reference.

Graded with the hidden suite (an instructor's batch, the Gradescope autograder), the grader
has the reference solution: a public test whose result is wrong is then compared with what
it should be given the submission's own results of the functions it is built on
(grader/suites/hidden/given.py), so that a mistake in one of them is not counted again here.
The copy students receive holds neither: there such a test fails, and its feedback names
the function it relies on that fails its own tests (grader.engine.output.gradescope).
"""

import importlib

from grader.engine.checks import expect_given

HIDDEN = 'grader.suites.hidden.given'


def _hidden_given():
    """The hidden suite's module of relative expectations, or None in a copy without it."""
    try:
        return importlib.import_module(HIDDEN)
    except ModuleNotFoundError:
        return None


def expect_built_on(check, student, function, args, got, what, select=None, dependencies=None, rtol=1e-7,
                    atol=1e-10):
    """check() and, when it fails where the grader holds the reference, the same result against
    the reference's `function`(*args) run on the submission's own results of the functions it
    is built on (checks.expect_given).

    Inputs:
    - check: function of no arguments; raises Mismatch when the result is not the stored answer
    - student: the seam
    - function: the contract function under test, e.g. 'feedforward'
    - args: its arguments in the call under test
    - got: what the submission returned (the part of it `check` checks)
    - what: how to name the call
    - select: function taking the reference's result to the part `got` is, e.g. its loss
    - dependencies: the function whose dependencies stand in, when that part depends on fewer
      than `function` does (given.reference_faults)
    - rtol, atol: the tolerances of `check`
    """
    given = _hidden_given()
    if given is None:
        check()
        return
    expect_given(check, lambda: given.reference_faults(student, function, args, got, what, select, dependencies,
                                                       rtol, atol), what)
