"""The worker: the process that imports a submission and runs its functions.

Started by the grader as `python -I worker.py PACKAGE_DIR MEMORY_BYTES CPU_SECONDS
FILE_BYTES PROCESSES`; reads requests on stdin and answers on the stdout it was started
with. Student code never sees that channel as its stdout: print() goes to a capped
buffer that is returned with each answer, and file descriptors 0, 1 and 2 point to
/dev/null. This file, runner.py, codec.py and plain.py are all of the grader the worker sees;
they sit in a folder of their own, which is taken off sys.path, so that neither the
student's modules nor these files can shadow the other.

On SIGUSR1 the worker writes the Python stack of every thread to the stderr it was
started with (faulthandler, which works even while student code holds the GIL): that
is how the grader learns where a call that timed out was running.

The channel, in order:
- the worker says {'ready': [the names in its copy of the submission]} once its limits
  are set and numpy is loaded, before any code of the submission runs: what fails before
  it (or a copy it does not see whole) is the grader's fault;
- then for each request, each with an 'id' the grader draws afresh, it first echoes
  {'started': id}, and only then runs the request and answers. Code of the submission
  cannot know an id before its request arrives, so a death or a stray write between
  calls is never taken for the next call's.

Requests:  {'op': 'import', 'module': m}, {'op': 'avoid', 'places': [...]},
           {'op': 'probe', 'paths': [...]} (which of these paths the worker can open) and
           {'op': 'call', 'module': m, 'function': f, 'args': [...], 'kwargs': {...}, 'training': bool}
Answers:   {'ok': True, 'value': v, 'output': text} or
           {'ok': False, 'outcome': o, 'message': text, 'exception_types': [...], 'output': text}
"""

import faulthandler
import importlib.util
import io
import os
import resource
import signal
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUTPUT_CAP = 4096


def _load(name):
    """Load a sibling file under a private name, so that no student module of the same
    name (codec.py, runner.py) can ever stand in for it."""
    spec = importlib.util.spec_from_file_location(f'_grader_{name}', os.path.join(HERE, f'{name}.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sys.path[:] = [path for path in sys.path if os.path.abspath(path) != HERE]
sys.dont_write_bytecode = True      # -I ignores PYTHONDONTWRITEBYTECODE; the copy stays as it was
codec = _load('codec')
plain = _load('plain')
runner = _load('runner')


class CappedOutput(io.TextIOBase):
    """A text stream that keeps the first OUTPUT_CAP characters and counts the rest."""

    def __init__(self):
        self.kept, self.dropped = [], 0
        self.size = 0

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        room = OUTPUT_CAP - self.size
        if room > 0:
            self.kept.append(text[:room])
            self.size += min(room, len(text))
        self.dropped += max(0, len(text) - max(room, 0))
        return len(text)

    def take(self):
        """The captured text so far, with a note of what was dropped; then start afresh."""
        text = ''.join(self.kept)
        if self.dropped:
            text += f'\n[... {self.dropped} more characters of output dropped]'
        self.kept, self.dropped, self.size = [], 0, 0
        return text


def limit(memory, cpu, file_size, processes):
    """Hard resource limits for this process and everything it starts."""
    for kind, value in ((resource.RLIMIT_AS, memory), (resource.RLIMIT_CPU, cpu),
                        (resource.RLIMIT_FSIZE, file_size), (resource.RLIMIT_NPROC, processes),
                        (resource.RLIMIT_CORE, 0)):
        resource.setrlimit(kind, (value, value))


def answer(request, run, output):
    """Carry out one request; the answer as plain data."""
    try:
        if request['op'] == 'import':
            value = run.notes(request['module'])
        elif request['op'] == 'avoid':
            run.avoid(request['places'])
            value = None
        elif request['op'] == 'probe':
            value = [path for path in request['paths'] if _readable(path)]
        else:
            value = run.call(request['module'], request['function'], request['args'], request['kwargs'],
                             bool(request.get('training')))
            plain.check_plain(value)
    except plain.UnsupportedType as error:
        return {'ok': False, 'outcome': 'unsupported_type', 'exception_types': [], 'output': output.take(),
                'message': f'{request["function"]} returned an unsupported type: {_short(str(error))}'}
    except runner.Failure as failure:
        return {'ok': False, 'outcome': failure.outcome, 'message': failure.message,
                'exception_types': failure.exception_types, 'output': output.take()}
    except MemoryError:
        return {'ok': False, 'outcome': 'memory', 'message': 'your code ran out of memory',
                'exception_types': ['MemoryError'], 'output': output.take()}
    except SystemExit as stop:
        return {'ok': False, 'outcome': 'crash', 'output': output.take(), 'exception_types': ['SystemExit'],
                'message': f'your code called sys.exit({_short(repr(stop.code))}), which ends the Python process'}
    return {'ok': True, 'value': value, 'output': output.take()}


def encoded(response, request):
    """The bytes of an answer; a value that cannot or may not be sent becomes a failure."""
    function = request.get('function')
    try:
        message = codec.encode(response)
    except codec.CodecError as error:
        return codec.encode({'ok': False, 'outcome': 'unsupported_type', 'exception_types': [],
                             'message': f'{function} returned an unsupported type: {_short(str(error))}',
                             'output': response['output']})
    if len(message) > codec.ANSWERS.total:
        return codec.encode({'ok': False, 'outcome': 'too_large', 'exception_types': [],
                             'message': f'{function} returned {len(message) >> 20} MiB of data; at most '
                                        f'{codec.ANSWERS.total >> 20} MiB can be sent back',
                             'output': response['output']})
    return message


def _readable(path):
    """Whether this process can read the file, or list the folder, at `path`."""
    try:
        if os.path.isdir(path):
            os.listdir(path)
        else:
            os.close(os.open(path, os.O_RDONLY | os.O_NONBLOCK))
        return True
    except OSError:
        return False


def _short(text, limit=300):
    return text if len(text) <= limit else text[:limit] + '...'


def main(argv):
    package_dir, memory, cpu, file_size, processes = argv[1], *map(int, argv[2:6])
    channel_in = os.fdopen(os.dup(0), 'rb', buffering=0)
    channel_out = os.fdopen(os.dup(1), 'wb', buffering=0)
    stacks = os.fdopen(os.dup(2), 'wb', buffering=0)
    faulthandler.register(signal.SIGUSR1, file=stacks, all_threads=True)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    output = CappedOutput()
    sys.stdout = sys.stderr = output
    sys.stdin = io.StringIO()
    limit(memory, cpu, file_size, processes)
    run = runner.Runner(package_dir)
    channel_out.write(codec.encode({'ready': sorted(os.listdir(package_dir))}))
    while True:
        request = codec.read_message(channel_in)
        if request is None:
            return
        channel_out.write(codec.encode({'started': request['id']}))
        channel_out.write(encoded(answer(request, run, output), request))


if __name__ == '__main__':
    main(sys.argv)
