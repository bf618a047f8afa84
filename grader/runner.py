"""The side of the seam that runs next to a submission: import its modules, call them.

This module depends on the standard library and numpy only, because it is also the
program of the worker process, which sees nothing of the grader but this file.
Every failure comes back as a Failure with an outcome and a message written for the
student; exceptions themselves never cross the seam.
"""

import importlib
import sys
import traceback
from pathlib import Path

PACKAGE = 'assignment'


class Failure(Exception):
    """A call that did not return a value.

    - outcome: 'not_implemented', 'error', 'missing', 'import_error', 'unsupported_type',
      'timeout', 'crash' or 'memory' (results.OUTCOME_TEXT says each in words)
    - message: what went wrong, for the student
    - exception_types: for an exception of the student's code, the names of its class
      and base classes (['ValueError', 'Exception', 'BaseException']), else []
    """

    def __init__(self, outcome, message, exception_types=()):
        super().__init__(message)
        self.outcome = outcome
        self.message = message
        self.exception_types = list(exception_types)




class Runner:
    """Imports a submission as the package `assignment` and calls its functions.

    Inputs:
    - package_dir: a folder named like the package, holding the student's modules; its
      parent goes on sys.path for relative imports (`from .activations import ...`),
      and the folder itself for absolute sibling imports (`from activations import ...`)
    """

    def __init__(self, package_dir):
        self.package_dir = Path(package_dir).resolve()
        self.package = self.package_dir.name
        for path in (str(self.package_dir), str(self.package_dir.parent)):
            if path not in sys.path:
                sys.path.insert(0, path)
        self._modules = {}

    def module(self, name):
        """The imported module `name`, or Failure; an import is tried once and remembered."""
        if name not in self._modules:
            try:
                self._modules[name] = self._import(name)
            except Failure as failure:
                self._modules[name] = failure
        found = self._modules[name]
        if isinstance(found, Failure):
            raise found
        return found

    def _import(self, name):
        if not (self.package_dir / f'{name}.py').exists():
            raise Failure('missing', f'{name}.py is missing from the submission')
        try:
            return importlib.import_module(f'{self.package}.{name}')
        except SyntaxError as error:
            where = f'{Path(error.filename or name).name}, line {error.lineno}'
            raise Failure('import_error', f'{name}.py cannot be imported: {where}: '
                                          f'SyntaxError: {error.msg}') from None
        except NotImplementedError as error:
            raise Failure('import_error', f'{name}.py raised NotImplementedError while being imported: '
                                          f'{self.explain(error)}') from None
        except BaseException as error:  # noqa: BLE001 - any failure of student code is reported
            if isinstance(error, KeyboardInterrupt):
                raise
            raise Failure('import_error', f'{name}.py failed while being imported:\n'
                                          f'{self.explain(error)}') from None

    def call(self, module, function, args, kwargs):
        """Call module.function(*args, **kwargs) and return what it returns.

        Raises Failure for a missing module or function, a NotImplementedError, or any
        other exception (with the last frame in the student's own files).
        """
        target = getattr(self.module(module), function, None)
        if not callable(target):
            raise Failure('missing', f'{module}.py defines no function {function}')
        try:
            return target(*args, **kwargs)
        except NotImplementedError as error:
            raise Failure('not_implemented', self._not_implemented(error, function)) from None
        except MemoryError as error:
            raise Failure('memory', f'your code ran out of memory: {self.explain(error)}', ['MemoryError']) from None
        except Exception as error:  # noqa: BLE001 - any failure of student code is reported
            names = [cls.__name__ for cls in type(error).__mro__ if cls is not object]
            raise Failure('error', self.explain(error), names) from None

    def _not_implemented(self, error, function):
        frame = self._student_frames(error)[-1:] or [None]
        name = frame[0].name if frame[0] is not None else function
        hint = f' ({error})' if str(error) else ''
        return f'{name} is not implemented yet{hint}'

    def _student_frames(self, error):
        frames = traceback.extract_tb(error.__traceback__)
        return [f for f in frames if Path(f.filename).resolve().is_relative_to(self.package_dir)]

    def explain(self, error):
        """The error and the last line of the student's own code it passed through."""
        text = f'{type(error).__name__}: {error}'
        frames = self._student_frames(error)
        if not frames:
            return text
        last = frames[-1]
        where = Path(last.filename).name
        # A notebook's cells run from files notebook_cell_N.py: name the cell, not the file.
        if where.startswith('notebook_cell_') and where.endswith('.py') and where[14:-3].isdigit():
            where = f'notebook cell {where[14:-3]}'
        return f'{where}, line {last.lineno}, in {last.name}\n    {last.line}\n{text}'

