"""The side of the seam that runs next to a submission: import its modules, call them.

This module depends on the standard library only, because it is also the program of
the worker process, which sees nothing of the grader but this file, worker.py and
codec.py. Every failure comes back as a Failure with an outcome and a message written
for the student; exceptions themselves never cross the seam.
"""

import importlib
import sys
import traceback
import types
from pathlib import Path

NOTES_ATTRIBUTE = '__grader_notes__'
AVOIDED = 'grader: not run again: '


class Failure(Exception):
    """A call that did not return a value.

    - outcome: 'not_implemented', 'error', 'missing', 'import_error', 'unsupported_type',
      'too_large', 'timeout', 'crash' or 'memory' (results.OUTCOME_TEXT says each in words)
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
    """Imports a submission as a package and calls its functions.

    Inputs:
    - package_dir: a folder named like the package, holding the student's modules; its
      parent goes on sys.path for relative imports (`from .activations import ...`),
      and the folder itself for absolute sibling imports (`from activations import ...`).
      The parent must hold nothing else, or its files would shadow the student's imports.
    """

    def __init__(self, package_dir):
        self.package_dir = Path(package_dir).resolve()
        self.package = self.package_dir.name
        for path in (str(self.package_dir), str(self.package_dir.parent)):
            if path not in sys.path:
                sys.path.insert(0, path)
        self._modules = {}
        self._avoided = {}       # (file name, function name) -> (why, for training calls only)
        self._bodies = {}        # function -> its own code object, while a stub may stand in for it

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

    def notes(self, name):
        """What module `name` says about how it was loaded (a notebook's skipped statements)."""
        notes = getattr(self.module(name), NOTES_ATTRIBUTE, [])
        return [str(note) for note in notes] if isinstance(notes, list) else []

    def _import(self, name):
        if not (self.package_dir / f'{name}.py').exists():
            raise Failure('missing', f'{name}.py is missing from the submission')
        try:
            return importlib.import_module(f'{self.package}.{name}')
        except SyntaxError as error:
            where = f'{place(error.filename or name)}, line {error.lineno}'
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

    def call(self, module, function, args, kwargs, training=False):
        """Call module.function(*args, **kwargs) and return what it returns.

        Raises Failure for a missing module or function, a NotImplementedError, code
        that hung in an earlier call (see avoid), or any other exception (with the last
        frame in the student's own files).
        """
        target = getattr(self.module(module), function, None)
        if not callable(target):
            raise Failure('missing', f'{module}.py defines no function {function}')
        self._stub_avoided(training)
        try:
            return target(*args, **kwargs)
        except NotImplementedError as error:
            raise Failure('not_implemented', self._not_implemented(error, function)) from None
        except MemoryError as error:
            raise Failure('memory', f'your code ran out of memory: {self.explain(error)}', ['MemoryError']) from None
        except Exception as error:  # noqa: BLE001 - any failure of student code is reported
            if error.args and str(error.args[0]).startswith(AVOIDED):
                raise Failure('timeout', 'not run: ' + error.args[0][len(AVOIDED):]) from None
            names = [cls.__name__ for cls in type(error).__mro__ if cls is not object]
            raise Failure('error', self.explain(error), names) from None

    def avoid(self, places):
        """Make functions that hung in earlier calls fail at once from now on.

        Inputs:
        - places: [{'file': 'model.py', 'function': 'forward', 'why': text, 'training': bool}],
          the innermost student function that was running when a call timed out;
          training: whether the call was a training one, and so only training calls
          (which may run long on large inputs) should avoid it

        While a call runs, every function object of the submission with that file and
        name has a body that raises at once: callers that reach it through any module,
        alias or method fail fast instead of hanging again. (Closures keep their body:
        a code object cannot be swapped for one with other free variables.)
        """
        for spot in places:
            self._avoided[(str(spot['file']), str(spot['function']))] = (str(spot['why']), bool(spot['training']))

    def _stub_avoided(self, training):
        """Give each avoided function the stub or its own body, for a training call or another."""
        if not self._avoided:
            return
        for function in self._functions():
            code = self._bodies.setdefault(function, function.__code__)
            why, training_only = self._avoided.get((Path(code.co_filename).name, code.co_name), (None, False))
            stubbed = why is not None and not code.co_freevars and (training or not training_only)
            function.__code__ = _stub(code, why) if stubbed else code

    def _functions(self):
        """Every function object defined at the top of the submission's modules or in their classes."""
        for module in list(sys.modules.values()):
            path = getattr(module, '__file__', None)
            if not path or not Path(path).resolve().is_relative_to(self.package_dir):
                continue
            for value in list(vars(module).values()):
                members = vars(value).values() if isinstance(value, type) else [value]
                for member in members:
                    member = getattr(member, '__func__', member)   # staticmethod, classmethod
                    if isinstance(member, types.FunctionType):
                        yield member

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
        return f'{place(last.filename)}, line {last.lineno}, in {last.name}\n    {last.line}\n{text}'


def place(filename):
    """How the student knows a file of the submission: its name, or for the code of a
    notebook (run from files notebook_cell_N.py) the cell."""
    name = Path(filename).name
    if name.startswith('notebook_cell_') and name.endswith('.py') and name[14:-3].isdigit():
        return f'notebook cell {name[14:-3]}'
    return name


def _template(*args, **kwargs):
    raise RuntimeError('WHY')


def _stub(code, why):
    """A code object that raises RuntimeError(AVOIDED + why), named like `code` in tracebacks.

    It uses no global of its own (RuntimeError is a builtin), since it runs with the
    globals of the student's module.
    """
    template = _template.__code__
    consts = tuple(AVOIDED + why if const == 'WHY' else const for const in template.co_consts)
    return template.replace(co_consts=consts, co_name=code.co_name, co_qualname=code.co_qualname,
                            co_filename=code.co_filename, co_firstlineno=code.co_firstlineno)
