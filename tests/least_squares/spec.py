"""A second, tiny homework the same engine grades: least-squares regression.

It exists to prove that the engine knows nothing of the backprop homework: its own
package, modules, parts, reference, skeleton and suites, and no change to grader/engine.
"""

from pathlib import Path

from grader.engine.spec import Assignment, Module, Part

HERE = Path(__file__).resolve().parent

SPEC = Assignment(
    title='Least squares',
    package='lsq',
    modules=(Module('regression', ('fit_weights', 'predict')),),
    parts=(Part(1, 'Fitting', 6, ('fit_weights',)),
           Part(2, 'Predicting', 4, ('predict',))),
    root=HERE,
    folder=HERE,
    solution='solution',
    skeleton='skeleton',
    handout='handout.md',
)
