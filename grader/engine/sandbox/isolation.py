"""The trusted side of the worker: run a submission's calls in a confined process, within limits.

WorkerBackend serves the `student` seam: each call goes to a worker process as plain
data and comes back as plain data (codec.py). A call that times out, crashes, exhausts
memory or answers what cannot be decoded fails alone, with an outcome a student
understands; the next call gets a fresh worker. A module whose import fails or hangs
is reported once and then fails fast. When a call times out, the worker is asked where
it was running (faulthandler's stacks): the feedback names that function and line, and
every later call that reaches the same function fails at once instead of hanging again.

Nothing that comes back from the worker is trusted. Its answers are decoded within
bounds, and their outcomes must be the grader's own; the places in its stack dump are
only matched against the names of the files the grader copied for it, and source lines
are read from the grader's own copy. The time a call may take is the CPU time the
submission itself takes: the wall clock, less the time its worker waited for a CPU that
other processes held, so a busy machine changes no grade. Starting a worker is the
grader's time, and a worker that cannot start is the grader's fault (SandboxError),
never the student's.

What confines the worker (sandbox, user, cgroups, tmpfs) is confinement.py's and
cgroups.py's business; this module owns the process's life and the budget.
"""

import os
import re
import secrets
import select
import signal
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ..text import clean
from .cgroups import Cgroup
from .confinement import Confinement
from .processes import (become_subreaper, children, command_line, descendants, kill_descendants, kill_if,
                        reap_children, reap_orphans, runqueue_wait)
from .worker import codec
from .worker.plain import UnsupportedType, check_plain
from .worker.runner import Failure, place

GIB = 2 ** 30
MIB = 2 ** 20
MAX_MESSAGE = 2000            # characters of a failure message from the worker
MAX_OUTPUT = 4096             # characters of printed output per call
MAX_NOTES = 20                # notes the modules may give about how they were loaded, all together
MAX_STACKS = 64 * 1024        # bytes of faulthandler's dump read back
MAX_SOURCE = 4 * MIB          # bytes of a student's file read to quote one of its lines
MAX_TMP_FILES = 10_000        # entries of the worker's tmp/ walked to measure it
STACK_WAIT = 1.0              # seconds to wait for that dump
STARTUP_TIMEOUT = 60.0        # seconds for a worker to start and say it is ready
START_TRIES = 2
# The wall clock a limit allows at most, per second of the submission's own time: code that
# lowers its own priority (or starves itself with its children) must not stretch its time.
WALL_FACTOR = 3
CHECK_EVERY = 0.5             # seconds between looks at the time a call has taken
VALID_SIGNALS = {int(number) for number in signal.valid_signals()}
# What a worker may say went wrong; anything else is an answer the grader cannot read.
WORKER_OUTCOMES = frozenset({'not_implemented', 'error', 'missing', 'import_error', 'unsupported_type',
                             'too_large', 'timeout', 'crash', 'memory'})


@dataclass(frozen=True)
class Limits:
    """What one submission may use. Times are seconds of the submission's own time (the wall
    clock less the time its worker waited for a CPU), sizes bytes."""

    call_timeout: float = 10.0        # per call
    training_timeout: float = 60.0    # per call in tests marked `training`
    import_timeout: float = 10.0      # to import one module
    budget: float = 300.0             # all calls of one submission together
    memory: int = 2 * GIB             # all processes of a submission together (each, without cgroups)
    cpu: int = 300                    # CPU seconds of each process
    file_size: int = 16 * MIB         # largest file written
    disk: int = 256 * MIB             # all files written together
    processes: int = 64               # processes at once


class SandboxError(Exception):
    """No worker could be started, or it did not say it was ready: the grader's fault."""


class _Gone(Exception):
    """The worker did not acknowledge a request: it died, or wrote out of turn, between calls."""


class WorkerBackend:
    """Runs a submission's functions in a confined worker process.

    Inputs:
    - package_dir: the grader's own copy of the submission's modules (copied again for the worker)
    - limits: Limits
    - sandbox: 'bwrap' or 'none'
    - package: the name the modules are imported under
    - hidden: folders the worker must not see (the reference, the hidden tests, ...), passed
      to Confinement

    Raises SandboxError when the worker's folder cannot be made.
    """

    _live = set()                     # backends with a worker that may be running

    def __init__(self, package_dir, package, limits=Limits(), sandbox='none', hidden=()):
        self.limits = limits
        self.timeout = limits.call_timeout
        self.training = False         # whether the current test trains networks
        self.spent = 0.0              # seconds of the submission's own time, all requests
        self.waited = 0.0             # seconds of the wall clock, all requests
        self.broken = {}              # module -> Failure, for modules that cannot be imported
        self.notes = []               # what the modules said about how they were loaded
        self.fault = None             # why no worker could be started, once that happened
        self._avoid = []              # places that hung, for runner.Runner.avoid
        self._process = None
        self._listing = sorted(os.listdir(package_dir))   # what the worker must see of its copy
        self._imported = set()
        self._output = []
        self._sources = _regular_files(Path(package_dir))
        # Children this process had before (a pool's server, say) are not the submission's.
        self._bystanders = set(children(os.getpid()))
        self.cgroup = Cgroup.create(limits.memory, limits.processes)
        try:
            self.confinement = Confinement(package_dir, package, limits, sandbox, self.cgroup, hidden)
        except OSError as error:    # the copy for the worker, a full disk: the grader's fault
            if self.cgroup is not None:
                self.cgroup.remove()
            raise SandboxError(f'the worker\'s folder could not be made: {clean(error, 500)}') from None
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
        value = self._request({'op': 'call', 'module': module, 'function': function,
                               'args': list(args), 'kwargs': kwargs, 'training': self.training}, self.timeout)
        try:
            return check_plain(value)     # the worker checked it too, but it runs the student's code
        except UnsupportedType as error:
            raise Failure('unsupported_type', f'{function} returned an unsupported type: {clean(error, 300)}') from None

    def forget(self):
        """Make the next call go to a fresh worker with an empty tmp/: nothing the submission
        did or wrote before can shape its answer."""
        self._stop()
        self.confinement.clear_disk()

    def exposed(self, paths):
        """Which of `paths` a worker can read, asked of a fresh worker before any code of the
        submission has run in it: a probe of the confinement itself."""
        self._stop()
        self._start()
        return self._process.probe([str(path) for path in paths])

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
        kill_descendants(spare=self._spared())
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
            if self._out_of_budget():
                raise   # the budget ran out, not the import: nothing to hold against the module
            if failure.outcome == 'timeout':
                failure = Failure('import_error', f'importing {module}.py did not finish within '
                                                  f'{self.limits.import_timeout:g} s (an endless loop at import?)')
            elif failure.outcome in ('crash', 'memory', 'unsupported_type'):
                failure = Failure('import_error', f'{module}.py cannot be imported: {failure.message}')
            self.broken[module] = failure
            raise failure
        self._imported.add(module)
        for note in notes[:MAX_NOTES] if isinstance(notes, list) else []:
            if clean(note, MAX_MESSAGE) not in self.notes and len(self.notes) < MAX_NOTES:
                self.notes.append(clean(note, MAX_MESSAGE))

    def _request(self, request, timeout):
        """Send one request and return the value of its answer, or raise its Failure.

        A worker that is gone, or wrote out of turn, before it acknowledged the request
        is replaced, and the request made once more in the new one: what happened
        between calls is charged to no call, unless it happens again at once."""
        for attempt in range(2):
            if self._out_of_budget():
                raise Failure('timeout', f'the submission used up its whole time budget of '
                                         f'{self.limits.budget:g} s; this call was not made')
            if self._process is None or not self._process.idle():
                self._stop()
                self._start()
            if request['op'] == 'call':
                self._ensure_imported(request['module'])
            try:
                return self._exchange(request, timeout)
            except _Gone:
                if attempt:
                    raise self._died() from None
                self._stop()

    def _exchange(self, request, timeout):
        remaining = min(self.limits.budget - self.spent, (WALL_FACTOR * self.limits.budget - self.waited) / WALL_FACTOR)
        cut_by_budget = timeout > remaining
        clock = _Clock(min(timeout, remaining), self._process.own_time)
        try:
            response, error = self._process.exchange(request, clock), None
        except (_Gone, TimeoutError, OSError, codec.CodecError) as failure:
            response, error = None, failure
        clock.stop()      # before the worker may be stopped: its CPU time is read from it
        self.spent += clock.used()
        self.waited += clock.waited()
        if isinstance(error, _Gone):
            raise error
        if isinstance(error, TimeoutError):
            raise self._timed_out(request, clock, cut_by_budget)
        if isinstance(error, codec.Ended):
            raise self._died()
        if error is not None:
            raise self._unreadable(request, error)
        if not _well_formed(response):
            raise self._unreadable(request, codec.CodecError('an answer that is not one the worker writes'))
        self._output.append(clean(response['output'], MAX_OUTPUT))
        self._stop_others()
        self._check_disk()
        if not response['ok']:
            raise self._failure(response)
        return response.get('value')

    def _out_of_budget(self):
        return self.spent >= self.limits.budget or self.waited >= WALL_FACTOR * self.limits.budget

    def _failure(self, response):
        """The Failure a worker reported, with every text it holds capped."""
        names = response.get('exception_types')
        names = [clean(name, 100) for name in names[:20]] if isinstance(names, list) else []
        failure = Failure(response['outcome'], clean(response['message'], MAX_MESSAGE), names)
        if failure.outcome == 'memory':
            failure.message += f' (limit {self.limits.memory / GIB:g} GiB)'
        return failure

    def _unreadable(self, request, error):
        """The Failure of an answer that does not decode; the worker is stopped."""
        self._stop()
        what = request.get('function') or f'{request.get("module")}.py'
        return Failure('unsupported_type', f'{what} returned something the grader cannot read '
                                           f'({clean(error, 200)})')

    def _timed_out(self, request, clock, cut_by_budget):
        """The Failure of a request past its time; the worker is stopped, and the place
        it was running is remembered so that later calls reaching it fail fast."""
        places = self._places(self._process.stacks())
        self._stop()
        if cut_by_budget:
            return Failure('timeout', f'timed out when the submission used up its whole time budget '
                                      f'of {self.limits.budget:g} s')
        spent = f'timed out after {clock.limit:g} s'
        if clock.used() < clock.limit:
            spent += (f' ({clock.waited():.0f} s on the clock, of which your code got a CPU for only '
                      f'{clock.used():.1f} s: did it lower its own priority?)')
        if not places:
            return Failure('timeout', spent)
        main, others = places[0], places[1:]
        if others or main['thread'] != 'call':
            # Other threads of the student's ran too: which one stalled the call is unknown.
            shown = '; '.join(place['shown'] for place in places)
            return Failure('timeout', f'{spent}; your code was running (one place per thread): {shown}')
        if request['op'] == 'call':
            # A training call may be slow rather than stuck: only later training calls skip its place.
            tests = 'training test' if self.training else 'test'
            self._avoid.append({'file': main['file'], 'function': main['function'], 'training': self.training,
                                'why': f'it reaches {main["shown"]}, which did not finish within '
                                       f'{clock.limit:g} s in an earlier {tests}'})
        return Failure('timeout', f'{spent} while running {main["shown"]}')

    def _places(self, stacks):
        """The innermost student frame of each thread in faulthandler's dump, the thread that
        was running the call first: [{'file', 'function', 'shown', 'thread': 'call' or 'other'}].

        The dump is the worker's to write: a frame counts only when its path is the worker's
        copy of a file the grader copied, and its line is quoted from the grader's own copy."""
        prefix = f'{self.confinement.worker_root()}/submission/{self.confinement.package_dir.name}/'
        places = []
        for block in re.split(r'\n(?=(?:Current thread|Thread) )', stacks):
            frames = re.findall(r'File "([^"\n]{1,4096})", line (\d{1,9}) in (\S{1,200})', block)
            calling = any(path.endswith('/worker/runner.py') for path, _, _ in frames)
            for path, line, function in frames:
                relative = path[len(prefix):] if path.startswith(prefix) else None
                if relative not in self._sources:
                    continue
                source = _source_line(self._sources[relative], int(line))
                shown = f'{clean(function, 80)} ({clean(place(relative), 80)}, line {line}{source})'
                places.append({'file': Path(relative).name, 'function': function, 'shown': shown,
                               'thread': 'call' if calling else 'other'})
                break
        return sorted(places, key=lambda place: place['thread'] != 'call')

    def _stop_others(self):
        """Stop every process of the submission but the worker itself: what a call started
        must not hold memory or processes that later calls need."""
        process = self._process
        if self.cgroup is not None:
            members = set(self.cgroup.processes())
            for pid in members - process.own:
                kill_if(pid, lambda pid=pid: pid in self.cgroup.processes())
        else:
            for pid in set(descendants(process.pid)) - process.own:
                kill_if(pid, lambda pid=pid: pid in descendants(process.pid))

    def _check_disk(self):
        """Fail the call that left more than Limits.disk bytes of files, where no tmpfs bounds them."""
        if self.confinement.disk_used(MAX_TMP_FILES) > self.limits.disk:
            self._stop()
            self.confinement.clear_disk()
            raise Failure('crash', f'your code wrote more than {self.limits.disk >> 20} MiB of files '
                                   f'(or more than {MAX_TMP_FILES} files); they were deleted')

    def _died(self):
        """The Failure for a worker that stopped answering; the worker is cleaned up."""
        out_of_memory = self.cgroup is not None and self.cgroup.out_of_memory()
        code = self._stop()
        if self.confinement.sandbox == 'bwrap' and code is not None and code - 128 in VALID_SIGNALS:
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

    def _start(self):
        """A fresh worker, ready and told where not to go: the grader's time, retried once;
        SandboxError when no worker starts."""
        if self.fault is not None:
            raise SandboxError(self.fault)
        self._imported = set()
        error = None
        for _ in range(START_TRIES):
            try:
                self._process = WorkerProcess(self.confinement, self._listing)
                if self._avoid:
                    self._process.avoid(self._avoid)
                return
            except (OSError, subprocess.SubprocessError, SandboxError) as failure:
                error = failure
                self._stop()
        self.fault = f'the sandbox could not start a worker for this submission: {clean(error, 1000)}'
        raise SandboxError(self.fault)

    def _stop(self):
        process, self._process = self._process, None
        if self.cgroup is not None:
            self.cgroup.kill()
        code = process.stop() if process is not None else None
        reap_children(spare=self._spared())
        return code

    def _spared(self):
        """The processes that stopping this submission's must leave alone: the workers of
        other submissions graded in this process, and the children it had before."""
        return self._bystanders | {backend._process.pid for backend in WorkerBackend._live
                                   if backend._process is not None}


class WorkerProcess:
    """One worker process and its channel: requests in on stdin, answers out on stdout,
    faulthandler's stacks on stderr. It exists once the worker has said it is ready and
    seen `listing`, the names in the grader's copy of the submission.

    - chain: the pids of the worker's own processes (bubblewrap's and Python's), parents
      first, taken before any code of the submission ran; own: the same, as a set
    """

    def __init__(self, confinement, listing):
        self.process = subprocess.Popen(
            confinement.command(), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            env=confinement.environment(), cwd=confinement.working_dir(), start_new_session=True,
            preexec_fn=confinement.prepare_child)
        self.pid = self.process.pid
        self.chain = [self.pid]
        os.set_blocking(self.process.stdin.fileno(), False)
        try:
            ready = self._read(_Clock(STARTUP_TIMEOUT, time.monotonic))
        except (TimeoutError, codec.CodecError) as error:
            self.stop()
            said = self._said()
            raise SandboxError(f'the worker did not start ({type(error).__name__}: {clean(error, 200)})'
                               + (f'; it said: {said}' if said else '')) from None
        seen = ready.get('ready') if isinstance(ready, dict) else None
        if not (isinstance(seen, list) and set(listing) <= set(seen)):
            self.stop()
            raise SandboxError(f'the worker did not say it was ready with the submission copied whole '
                               f'(it said {clean(ready, 300)})')
        self.chain = [self.pid, *descendants(self.pid)]
        self.own = set(self.chain)
        self._queued = 0.0
        # bubblewrap's own command line holds the worker's too: look for the interpreter.
        interpreters = [pid for pid in sorted(self.own) if command_line(pid)[:1] == [os.fsencode(sys.executable)]]
        self.python = interpreters[-1] if interpreters else self.pid

    def idle(self):
        """Whether the worker is alive and has written nothing since its last answer."""
        fd = self.process.stdout.fileno()
        return self.process.poll() is None and not select.select([fd], [], [], 0)[0]

    def own_time(self):
        """A clock of the worker's own time: the wall clock less the time it waited for a CPU
        (the last count read, once it is gone)."""
        queued = runqueue_wait(self.python)
        if queued is not None:
            self._queued = queued
        return time.monotonic() - self._queued

    def exchange(self, request, clock):
        """Send one request and read its acknowledgement and answer within `clock`'s time.

        Raises TimeoutError past it; _Gone when the worker does not acknowledge this very
        request; codec.Ended when it stops after that; codec.CodecError for an answer that
        does not decode."""
        ident = secrets.token_hex(16)
        try:
            _write_before(self.process.stdin.fileno(), codec.encode({**request, 'id': ident}), clock)
            acknowledged = self._read(clock) == {'started': ident}
        except (OSError, codec.CodecError):
            acknowledged = False
        if not acknowledged:
            raise _Gone
        return self._read(clock)

    def avoid(self, places):
        """Tell a fresh worker the places that hung before; SandboxError if it does not take them."""
        answer = self.exchange({'op': 'avoid', 'places': places}, _Clock(STARTUP_TIMEOUT, time.monotonic))
        if not (isinstance(answer, dict) and answer.get('ok') is True):
            raise SandboxError('the worker did not accept the places to avoid')

    def probe(self, paths):
        """Which of `paths` this worker can read; SandboxError if it cannot say."""
        try:
            answer = self.exchange({'op': 'probe', 'paths': paths}, _Clock(STARTUP_TIMEOUT, time.monotonic))
        except (_Gone, TimeoutError, OSError, codec.CodecError) as error:
            raise SandboxError(f'the worker could not be probed ({type(error).__name__})') from None
        if not (isinstance(answer, dict) and answer.get('ok') is True and isinstance(answer.get('value'), list)):
            raise SandboxError('the worker could not be probed')
        return [path for path in paths if path in answer['value']]

    def stacks(self):
        """faulthandler's dump of every thread of the worker, or '' if it does not answer."""
        try:
            os.kill(self.python, signal.SIGUSR1)
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
        reap_orphans(self.pid, more=self.chain[1:])    # never left a zombie, even if it died before ready
        return code

    def _read(self, clock):
        message = codec.read_message(_Timed(self.process.stdout.fileno(), clock), codec.ANSWERS)
        if message is None:
            raise codec.Ended('the worker closed its channel')
        return message

    def _said(self):
        """What a worker that did not start wrote on its stderr (bubblewrap's or Python's error)."""
        try:
            return clean(self.process.stderr.read(2000).decode('utf-8', 'replace').strip(), 500)
        except (OSError, ValueError):
            return ''


class _Clock:
    """The time a request may take, until the last byte of its answer: `limit` seconds on
    `elapsed`, a clock of the worker's own time, and WALL_FACTOR times as long on the wall
    clock. Once stopped, the clock keeps what it measured: a stopped worker has nothing
    left to read."""

    def __init__(self, limit, elapsed):
        self.limit = limit
        self._elapsed = elapsed
        self._start = elapsed()
        self._wall_start = time.monotonic()
        self._stopped = None          # (own seconds, wall seconds), once stopped

    def stop(self):
        if self._stopped is None:
            self._stopped = (self._elapsed() - self._start, time.monotonic() - self._wall_start)

    def used(self):
        """Seconds of the worker's own time since the request began."""
        return self._stopped[0] if self._stopped else self._elapsed() - self._start

    def waited(self):
        """Seconds of the wall clock since the request began."""
        return self._stopped[1] if self._stopped else time.monotonic() - self._wall_start

    def look(self):
        """Seconds to wait for the worker before looking again; 0 once the time is up."""
        left = min(self.limit - self.used(), WALL_FACTOR * self.limit - self.waited())
        return max(0.0, min(left, CHECK_EVERY))


class _Timed:
    """A binary stream reader over a file descriptor that raises TimeoutError when a _Clock runs out."""

    def __init__(self, fd, clock):
        self.fd = fd
        self.clock = clock

    def read(self, size):
        _wait_for(self.fd, self.clock, writing=False)
        return os.read(self.fd, min(size, MIB))


def _wait_for(fd, clock, writing):
    """Return once `fd` is ready; TimeoutError if it is not when the clock runs out (a last
    look is taken then: an answer the grader was too busy to read in time still counts)."""
    while True:
        wait = clock.look()
        ready = select.select([], [fd], [], wait)[1] if writing else select.select([fd], [], [], wait)[0]
        if ready:
            return
        if wait == 0:
            clock.stop()
            raise TimeoutError


def _write_before(fd, data, clock):
    """Write all of `data` to a non-blocking fd within `clock`'s time; TimeoutError past it."""
    view = memoryview(data)
    while view:
        _wait_for(fd, clock, writing=True)
        try:
            view = view[os.write(fd, view[:MIB]):]
        except BlockingIOError:
            continue


def _well_formed(response):
    """Whether an answer has the worker's shape, with an outcome of the grader's vocabulary."""
    if not (isinstance(response, dict) and isinstance(response.get('ok'), bool)
            and isinstance(response.get('output'), str)):
        return False
    return response['ok'] or (response.get('outcome') in WORKER_OUTCOMES and isinstance(response.get('message'), str))


def _regular_files(folder):
    """{path relative to `folder`, as the worker names it: path} of the regular files in it."""
    found = {}
    for parent, folders, files in os.walk(folder):
        for name in files:
            path = Path(parent) / name
            if stat.S_ISREG(path.lstat().st_mode):
                found[path.relative_to(folder).as_posix()] = path
    return found


def _source_line(path, number):
    """': `text`' of a line of a student's file (the grader's own copy), or ''; reads at most MAX_SOURCE bytes."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return ''
    with os.fdopen(fd, 'rb') as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return ''
        lines = f.read(MAX_SOURCE).split(b'\n')
    if not 1 <= number <= len(lines):
        return ''
    text = lines[number - 1].decode('utf-8', 'replace').strip()
    return f': `{clean(text, 100)}`' if text else ''
