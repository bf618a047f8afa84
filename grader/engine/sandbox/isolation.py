"""The trusted side of the worker: run a submission's calls in a confined process, within limits.

WorkerBackend serves the `student` seam: each call goes to a worker process as plain
data and comes back as plain data (codec.py), within a wall-clock deadline that holds
for writing the request as well as for reading the answer. A call that times out,
crashes or exhausts memory fails alone, with an outcome a student understands; the
next call gets a fresh worker. A module whose import fails or hangs is reported once
and then fails fast. When a call times out, the worker is asked where it was running
(faulthandler's stacks): the feedback names that function and line, and every later
call that reaches the same function fails at once instead of hanging again.

What confines the worker (sandbox, user, cgroups, tmpfs) is confinement.py's and
cgroups.py's business; this module owns the process's life and the budget.
"""

import os
import re
import select
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ..text import clean
from .cgroups import Cgroup
from .confinement import Confinement
from .processes import become_subreaper, command_line, descendants, kill_descendants
from .worker import codec
from .worker.plain import UnsupportedType, check_plain
from .worker.runner import Failure, place

GIB = 2 ** 30
MIB = 2 ** 20
MAX_MESSAGE = 2000            # characters of a failure message from the worker
MAX_OUTPUT = 4096             # characters of printed output per call
MAX_STACKS = 64 * 1024        # bytes of faulthandler's dump read back
STACK_WAIT = 1.0              # seconds to wait for that dump


@dataclass(frozen=True)
class Limits:
    """What one submission may use. Times are seconds, sizes bytes."""

    call_timeout: float = 10.0        # wall clock per call
    training_timeout: float = 60.0    # wall clock per call in tests marked `training`
    import_timeout: float = 10.0      # wall clock to import one module
    budget: float = 300.0             # wall clock of all calls of one submission together
    memory: int = 2 * GIB             # all processes of a submission together (each, without cgroups)
    cpu: int = 300                    # CPU seconds of each process
    file_size: int = 16 * MIB         # largest file written
    disk: int = 256 * MIB             # all files written together
    processes: int = 64               # processes at once


class WorkerBackend:
    """Runs a submission's functions in a confined worker process.

    Inputs:
    - package_dir: folder holding the submission's modules (copied privately)
    - limits: Limits
    - sandbox: 'bwrap' or 'none'
    - package: the name the modules are imported under
    """

    _live = set()                     # backends with a worker that may be running

    def __init__(self, package_dir, package, limits=Limits(), sandbox='none'):
        self.limits = limits
        self.timeout = limits.call_timeout
        self.training = False         # whether the current test trains networks
        self.spent = 0.0
        self.broken = {}              # module -> Failure, for modules that cannot be imported
        self.notes = []               # what the modules said about how they were loaded
        self._avoid = []              # places that hung, for runner.Runner.avoid
        self._process = None
        self._imported = set()
        self._output = []
        self.cgroup = Cgroup.create(limits.memory, limits.processes)
        self.confinement = Confinement(package_dir, package, limits, sandbox, self.cgroup)
        self.runs_as = self.confinement.runs_as
        become_subreaper()
        WorkerBackend._live.add(self)

    # The seam's side

    def new_test(self, training):
        """A test begins: training tests get the longer time limit per call."""
        self.training = training
        self.timeout = self.limits.training_timeout if training else self.limits.call_timeout

    def call(self, module, function, args, kwargs):
        """Call module.function(*args, **kwargs) in the worker; plain data back, or Failure."""
        self._ensure_imported(module)
        value = self._request({'op': 'call', 'module': module, 'function': function,
                               'args': list(args), 'kwargs': kwargs, 'training': self.training}, self.timeout)
        try:
            return check_plain(value)     # the worker checked it too, but it runs the student's code
        except UnsupportedType as error:
            raise Failure('unsupported_type', f'{function} returned an unsupported type: {clean(error, 300)}') from None

    def take_output(self):
        """What the submission printed since the last call of this method."""
        text, self._output = ''.join(self._output), []
        return text

    def close(self):
        """Kill the worker and everything it started; remove its files and groups."""
        self._stop()
        WorkerBackend._live.discard(self)
        if self.cgroup is not None:
            self.cgroup.remove()
        kill_descendants(spare={backend._process.pid for backend in WorkerBackend._live if backend._process})
        self.confinement.remove()

    def facts(self):
        """How this submission was confined, for the results' extra_data."""
        return {'worker_user': self.runs_as, 'cgroup': self.cgroup is not None,
                'disk_capped': self.confinement.disk_capped}

    # Imports and requests

    def _ensure_imported(self, module):
        if module in self.broken:
            raise self.broken[module]
        if module in self._imported and self._process is not None:
            return
        try:
            notes = self._request({'op': 'import', 'module': module}, self.limits.import_timeout)
        except Failure as failure:
            if self.spent >= self.limits.budget:
                raise   # the budget ran out, not the import: nothing to hold against the module
            if failure.outcome == 'timeout':
                failure = Failure('import_error', f'importing {module}.py did not finish within '
                                                  f'{self.limits.import_timeout:g} s (an endless loop at import?)')
            elif failure.outcome in ('crash', 'memory'):
                failure = Failure('import_error', f'{module}.py cannot be imported: {failure.message}')
            self.broken[module] = failure
            raise failure
        self._imported.add(module)
        for note in notes if isinstance(notes, list) else []:
            if clean(note, MAX_MESSAGE) not in self.notes:
                self.notes.append(clean(note, MAX_MESSAGE))

    def _request(self, request, timeout):
        remaining = self.limits.budget - self.spent
        if remaining <= 0:
            raise Failure('timeout', f'the submission used up its whole time budget of '
                                     f'{self.limits.budget:g} s; this call was not made')
        cut_by_budget, timeout = timeout > remaining, min(timeout, remaining)
        start = time.monotonic()
        try:
            if self._process is None:
                self._start(start + timeout)
            response = self._process.exchange(codec.encode(request), start + timeout)
        except TimeoutError:
            raise self._timed_out(request, timeout, cut_by_budget) from None
        except (OSError, codec.CodecError):
            response = None
        finally:
            self.spent += time.monotonic() - start
        if not isinstance(response, dict) or not isinstance(response.get('ok'), bool):
            raise self._died()
        self._output.append(clean(response.get('output', ''), MAX_OUTPUT))
        self._check_disk()
        if not response['ok']:
            raise self._failure(response)
        return response.get('value')

    def _failure(self, response):
        """The Failure a worker reported, with every text it holds capped."""
        names = response.get('exception_types')
        names = [clean(name, 100) for name in names[:20]] if isinstance(names, list) else []
        failure = Failure(clean(response.get('outcome', 'error'), 40), clean(response.get('message', ''), MAX_MESSAGE),
                          names)
        if failure.outcome == 'memory':
            failure.message += f' (limit {self.limits.memory / GIB:g} GiB)'
        return failure

    def _timed_out(self, request, timeout, cut_by_budget):
        """The Failure of a request past its deadline; the worker is stopped, and the place
        it was running is remembered so that later calls reaching it fail fast."""
        places = self._places(self._process.stacks() if self._process else '')
        self._stop()
        if cut_by_budget:
            return Failure('timeout', f'timed out when the submission used up its whole time budget '
                                      f'of {self.limits.budget:g} s')
        if not places:
            return Failure('timeout', f'timed out after {timeout:g} s')
        main, others = places[0], places[1:]
        if others or main['thread'] != 'call':
            # Other threads of the student's ran too: which one stalled the call is unknown.
            shown = '; '.join(place['shown'] for place in places)
            return Failure('timeout', f'timed out after {timeout:g} s; your code was running (one place per '
                                      f'thread): {shown}')
        if request['op'] == 'call':
            # A training call may be slow rather than stuck: only later training calls skip its place.
            tests = 'training test' if self.training else 'test'
            self._avoid.append({'file': main['file'], 'function': main['function'], 'training': self.training,
                                'why': f'it reaches {main["shown"]}, which did not finish within '
                                       f'{timeout:g} s in an earlier {tests}'})
        return Failure('timeout', f'timed out after {timeout:g} s while running {main["shown"]}')

    def _places(self, stacks):
        """The innermost student frame of each thread in faulthandler's dump, the thread that
        was running the call first: [{'file', 'function', 'shown', 'thread': 'call' or 'other'}]."""
        package = f'/submission/{self.confinement.package_dir.name}/'
        places = []
        for block in re.split(r'\n(?=(?:Current thread|Thread) )', stacks):
            frames = re.findall(r'File "([^"\n]*)", line (\d+) in (\S+)', block)
            calling = any(path.endswith('/worker/runner.py') for path, _, _ in frames)
            for path, line, function in frames:
                if package in path:
                    relative = path.split(package, 1)[1]
                    source = _source_line(self.confinement.package_dir / relative, int(line))
                    shown = f'{clean(function, 80)} ({clean(place(relative), 80)}, line {line}{source})'
                    places.append({'file': Path(relative).name, 'function': function, 'shown': shown,
                                   'thread': 'call' if calling else 'other'})
                    break
        return sorted(places, key=lambda place: place['thread'] != 'call')

    def _check_disk(self):
        """Fail the call that left more than Limits.disk bytes of files, where no tmpfs bounds them."""
        if self.confinement.disk_used() > self.limits.disk:
            self._stop()
            self.confinement.clear_disk()
            raise Failure('crash', f'your code wrote more than {self.limits.disk >> 20} MiB of files; '
                                   'they were deleted')

    def _died(self):
        """The Failure for a worker that stopped answering; the worker is cleaned up."""
        out_of_memory = self.cgroup is not None and self.cgroup.out_of_memory()
        code = self._stop()
        if self.confinement.sandbox == 'bwrap' and code is not None and code > 128:
            code = 128 - code   # bubblewrap reports a child killed by signal n as exit status 128 + n
        if code is not None and code < 0:
            number = -code
            if number == signal.SIGKILL and out_of_memory:
                return Failure('memory', f'your code used more than {self.limits.memory / GIB:g} GiB of memory '
                                         '(all its processes together) and was stopped')
            if number == signal.SIGXCPU:
                return Failure('crash', f'your code used more than {self.limits.cpu} s of CPU time')
            if number == signal.SIGXFSZ:
                return Failure('crash', f'your code wrote a file larger than {self.limits.file_size >> 20} MiB')
            if number == signal.SIGKILL:
                return Failure('memory', f'your code was killed, most likely for running out of memory '
                                         f'(limit {self.limits.memory / GIB:g} GiB)')
            return Failure('crash', f'your code crashed the Python process with signal {number} '
                                    f'({signal.Signals(number).name})')
        if code is not None:
            return Failure('crash', f'your code ended the Python process (exit code {code})')
        return Failure('crash', 'your code broke the connection to the grader')

    # The worker process

    def _start(self, deadline):
        self._imported = set()
        self._process = WorkerProcess(self.confinement)
        if self._avoid:
            response = self._process.exchange(codec.encode({'op': 'avoid', 'places': self._avoid}), deadline)
            if not isinstance(response, dict) or response.get('ok') is not True:
                raise codec.CodecError('the worker did not accept the places to avoid')

    def _stop(self):
        process, self._process = self._process, None
        if self.cgroup is not None:
            self.cgroup.kill()
        return process.stop() if process is not None else None


class WorkerProcess:
    """One worker process and its channel: requests in on stdin, answers out on stdout,
    faulthandler's stacks on stderr."""

    def __init__(self, confinement):
        self.confinement = confinement
        self.process = subprocess.Popen(
            confinement.command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=confinement.environment(), cwd=confinement.working_dir(), start_new_session=True,
            preexec_fn=confinement.prepare_child)
        self.pid = self.process.pid
        os.set_blocking(self.process.stdin.fileno(), False)

    def exchange(self, message, deadline):
        """Send one request and read its answer, both before `deadline` (time.monotonic());
        TimeoutError past it."""
        _write_before(self.process.stdin.fileno(), message, deadline)
        return codec.read_message(_Deadline(self.process.stdout.fileno(), deadline), codec.ANSWERS)

    def stacks(self):
        """faulthandler's dump of every thread of the worker, or '' if it does not answer."""
        # bubblewrap's own command line holds the worker's too: look for the interpreter.
        workers = [pid for pid in [self.pid, *descendants(self.pid)]
                   if command_line(pid)[:1] == [os.fsencode(sys.executable)]]
        if not workers:
            return ''
        try:
            os.kill(workers[0], signal.SIGUSR1)
        except OSError:
            return ''
        dump, fd, deadline = b'', self.process.stderr.fileno(), time.monotonic() + STACK_WAIT
        while len(dump) < MAX_STACKS:
            # The dump ends with the last thread's frames; a short quiet spell after some text ends it.
            wait = min(deadline - time.monotonic(), 0.2 if dump else STACK_WAIT)
            if wait <= 0 or not select.select([fd], [], [], wait)[0]:
                break
            chunk = os.read(fd, MAX_STACKS - len(dump))
            if not chunk:
                break
            dump += chunk
        return dump.decode('utf-8', 'replace')

    def stop(self):
        """Kill the worker's session; its exit status (negative: the signal that ended it)."""
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        code = self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            try:
                stream.close()
            except OSError:
                pass
        return code


class _Deadline:
    """A binary stream reader over a file descriptor that raises TimeoutError past a deadline."""

    def __init__(self, fd, deadline):
        self.fd = fd
        self.deadline = deadline

    def read(self, size):
        remaining = self.deadline - time.monotonic()
        if remaining <= 0 or not select.select([self.fd], [], [], remaining)[0]:
            raise TimeoutError
        return os.read(self.fd, min(size, MIB))


def _write_before(fd, data, deadline):
    """Write all of `data` to a non-blocking fd before the deadline; TimeoutError past it."""
    view = memoryview(data)
    while view:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([], [fd], [], remaining)[1]:
            raise TimeoutError
        try:
            view = view[os.write(fd, view[:MIB]):]
        except BlockingIOError:
            continue


def _source_line(path, number):
    """': `text`' of a line of a student's file (as copied for the worker), or ''."""
    try:
        with open(path, 'rb') as f:
            for index, line in enumerate(f, start=1):
                if index == number:
                    text = line.decode('utf-8', 'replace').strip()
                    return f': `{clean(text, 100)}`' if text else ''
    except OSError:
        pass
    return ''
