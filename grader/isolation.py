"""The trusted side of the worker: start it, confine it, time it, and clean up after it.

WorkerBackend serves the `student` seam: each call goes to a worker process as plain
data and comes back as plain data (codec.py), within a wall-clock timeout. A call that
times out, crashes or exhausts memory fails alone, with an outcome a student
understands; the next call gets a fresh worker. A module whose import fails or hangs is
reported once and then fails fast.

Confinement: the worker runs from a private copy of the submission, with a scrubbed
environment, as an unprivileged user when the grader is root, under hard resource
limits, and under bubblewrap (no network, private /tmp, read-only system, its own pid
namespace, nothing of the project but the three files it needs) when that is
available. Every process a submission starts is killed when its grading ends.
"""

import ctypes
import os
import pwd
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from . import codec
from .runner import Failure

HERE = Path(__file__).resolve().parent
WORKER_FILES = ('worker.py', 'runner.py', 'codec.py')
UNPRIVILEGED = 'nobody'
PR_SET_CHILD_SUBREAPER = 36
GIB = 2 ** 30


@dataclass(frozen=True)
class Limits:
    """What one submission may use. Times are seconds."""

    call_timeout: float = 10.0        # wall clock per call
    training_timeout: float = 60.0    # wall clock per call in tests marked `training`
    import_timeout: float = 10.0      # wall clock to import one module
    budget: float = 300.0             # wall clock of all calls of one submission together
    memory: int = 2 * GIB             # address space of the worker
    cpu: int = 300                    # CPU seconds of the worker
    file_size: int = 16 * 2 ** 20     # largest file the worker may write
    processes: int = 64               # processes of the worker's user (when not root)


def bwrap_available():
    """True when bubblewrap is installed and can make a sandbox on this machine."""
    if shutil.which('bwrap') is None:
        return False
    probe = subprocess.run(['bwrap', '--ro-bind', '/', '/', '--unshare-all', '--die-with-parent', 'true'],
                           capture_output=True, timeout=30)
    return probe.returncode == 0


def choose_sandbox(requested):
    """'bwrap' or 'none' for --sandbox auto|bwrap|none; ValueError if bwrap is asked for and unusable."""
    if requested == 'none':
        return 'none'
    if bwrap_available():
        return 'bwrap'
    if requested == 'bwrap':
        raise ValueError('--sandbox bwrap: bubblewrap is not installed or cannot create namespaces here')
    return 'none'


class WorkerBackend:
    """Runs a submission's functions in a confined worker process.

    Inputs:
    - package_dir: folder holding the submission's modules (copied privately)
    - limits: Limits
    - sandbox: 'bwrap' or 'none'
    """

    _live = set()                     # backends with a worker that may be running

    def __init__(self, package_dir, limits=Limits(), sandbox='none'):
        self.limits = limits
        self.sandbox = sandbox
        self.timeout = limits.call_timeout
        self.spent = 0.0
        self.broken = {}              # module -> Failure, for modules that cannot be imported
        self._process = None
        self._imported = set()
        self._output = []
        self._home = Path(tempfile.mkdtemp(prefix='grader-worker-'))
        shutil.copytree(package_dir, self._home / 'assignment')
        for name in WORKER_FILES:
            shutil.copy(HERE / name, self._home / name)
        (self._home / 'tmp').mkdir()
        # Under root the worker runs as nobody: bubblewrap maps it in a user namespace;
        # without bubblewrap it changes user, if nobody can run this Python at all.
        self._user = _unprivileged_user() if os.geteuid() == 0 else None
        if self._user is not None and sandbox == 'none':
            _hand_over(self._home, self._user)
            if not _can_run_python(self._user):
                self._user = None
        self.runs_as = (UNPRIVILEGED if self._user is not None else pwd.getpwuid(os.geteuid()).pw_name)
        _become_subreaper()
        WorkerBackend._live.add(self)

    # The seam's side

    def call(self, module, function, args, kwargs):
        """Call module.function(*args, **kwargs) in the worker; plain data back, or Failure."""
        self._ensure_imported(module)
        return self._request({'op': 'call', 'module': module, 'function': function,
                              'args': list(args), 'kwargs': kwargs}, self.timeout)

    def take_output(self):
        """What the submission printed since the last call of this method."""
        text, self._output = ''.join(self._output), []
        return text

    def close(self):
        """Kill the worker and everything it started; remove its files."""
        self._stop()
        WorkerBackend._live.discard(self)
        _kill_descendants(spare={backend._process.pid for backend in WorkerBackend._live if backend._process})
        shutil.rmtree(self._home, ignore_errors=True)

    # Imports and requests

    def _ensure_imported(self, module):
        if module in self.broken:
            raise self.broken[module]
        if module in self._imported and self._process is not None:
            return
        try:
            self._request({'op': 'import', 'module': module}, self.limits.import_timeout)
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

    def _request(self, request, timeout):
        remaining = self.limits.budget - self.spent
        if remaining <= 0:
            raise Failure('timeout', f'the submission used up its whole time budget of '
                                     f'{self.limits.budget:g} s; this call was not made')
        cut_by_budget, timeout = timeout > remaining, min(timeout, remaining)
        if self._process is None:
            self._start()
        start = time.monotonic()
        try:
            self._process.stdin.write(codec.encode(request))
            self._process.stdin.flush()
            response = codec.read_message(_Deadline(self._process.stdout, start + timeout))
            if isinstance(response, dict) and response.get('output'):
                self._output.append(str(response['output']))
        except TimeoutError:
            self._stop()
            if cut_by_budget:
                raise Failure('timeout', f'timed out when the submission used up its whole time budget '
                                         f'of {self.limits.budget:g} s') from None
            raise Failure('timeout', f'timed out after {timeout:g} s') from None
        except (BrokenPipeError, codec.CodecError, ValueError, OSError):
            response = None
        finally:
            self.spent += time.monotonic() - start
        if not isinstance(response, dict) or not isinstance(response.get('ok'), bool):
            raise self._died()
        if not response['ok']:
            failure = _failure(response)
            if failure.outcome == 'memory':
                failure = Failure('memory', f'{failure.message} (limit {self.limits.memory / GIB:g} GiB)',
                                  failure.exception_types)
            raise failure
        return response.get('value')

    def _died(self):
        """The Failure for a worker that stopped answering; the worker is cleaned up."""
        process = self._process
        self._stop()
        code = process.returncode if process is not None else None
        if code is not None and self.sandbox == 'bwrap' and code > 128:
            code = 128 - code   # bubblewrap reports a child killed by signal n as exit status 128 + n
        if code is not None and code < 0:
            number = -code
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
        self._imported = set()
        command = [sys.executable, '-I', str(self._worker_path('worker.py')), str(self._worker_path('assignment')),
                   str(self.limits.memory), str(self.limits.cpu), str(self.limits.file_size),
                   str(self.limits.processes)]
        if self.sandbox == 'bwrap':
            command = self._bwrap() + command
        drop = self._user is not None and self.sandbox == 'none'
        self._process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env=self._environment(), cwd=self._home / 'tmp', start_new_session=True,
            preexec_fn=self._drop_privileges if drop else None)

    def _worker_path(self, name):
        return (Path('/grader') if self.sandbox == 'bwrap' else self._home) / name

    def _environment(self):
        tmp = str(self._worker_path('tmp'))
        return {'PATH': '/usr/bin:/bin', 'HOME': tmp, 'TMPDIR': tmp, 'LANG': 'C.UTF-8',
                'PYTHONDONTWRITEBYTECODE': '1', 'PYTHONHASHSEED': '0', 'MPLBACKEND': 'Agg',
                'OPENBLAS_NUM_THREADS': '1', 'OMP_NUM_THREADS': '1', 'MKL_NUM_THREADS': '1',
                # see the Makefile: keeps freed arrays in the process instead of page-faulting them back
                'MALLOC_TOP_PAD_': '67108864'}

    def _bwrap(self):
        """bubblewrap arguments: a read-only system, the interpreter, and /grader, nothing else."""
        # Mounts apply in order: the private /tmp first, so that binds below it stay visible.
        args = ['bwrap', '--tmpfs', '/tmp', '--ro-bind', '/usr', '/usr']
        for top in ('/bin', '/sbin', '/lib', '/lib32', '/lib64'):
            if os.path.islink(top):
                args += ['--symlink', os.readlink(top), top]
            elif os.path.isdir(top):
                args += ['--ro-bind', top, top]
        args += ['--ro-bind-try', '/etc/ld.so.cache', '/etc/ld.so.cache',
                 '--ro-bind-try', '/etc/alternatives', '/etc/alternatives']
        # The interpreter and its packages: the virtual environment and the Python it was made from.
        for prefix in sorted({sys.prefix, sys.base_prefix, os.path.realpath(sys.prefix),
                              os.path.realpath(sys.base_prefix)}):
            args += ['--ro-bind', prefix, prefix]
        args += ['--ro-bind', str(self._home), '/grader', '--bind', str(self._home / 'tmp'), '/grader/tmp',
                 '--proc', '/proc', '--dev', '/dev', '--unshare-all', '--die-with-parent', '--new-session', '--hostname', 'sandbox',
                 '--chdir', '/grader/tmp']
        if self._user is not None:
            args += ['--unshare-user', '--uid', str(self._user.pw_uid), '--gid', str(self._user.pw_gid)]
        return [*args, '--']

    def _drop_privileges(self):
        os.setgroups([])
        os.setgid(self._user.pw_gid)
        os.setuid(self._user.pw_uid)

    def _stop(self):
        process, self._process = self._process, None
        if process is None:
            return
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        process.wait()
        for stream in (process.stdin, process.stdout):
            try:
                stream.close()
            except OSError:
                pass


class _Deadline:
    """A binary stream reader that raises TimeoutError past a deadline (time.monotonic())."""

    def __init__(self, stream, deadline):
        self.fd = stream.fileno()
        self.deadline = deadline

    def read(self, size):
        remaining = self.deadline - time.monotonic()
        if remaining <= 0 or not select.select([self.fd], [], [], remaining)[0]:
            raise TimeoutError
        return os.read(self.fd, min(size, 2 ** 20))


def _failure(response):
    return Failure(str(response.get('outcome', 'error')), str(response.get('message', '')),
                   [str(name) for name in response.get('exception_types', [])])


def _unprivileged_user():
    try:
        return pwd.getpwnam(UNPRIVILEGED)
    except KeyError:
        return None


def _hand_over(home, user):
    """Let the unprivileged user read the worker's files and write its tmp folder only."""
    for path in [home, *home.rglob('*')]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    os.chown(home / 'tmp', user.pw_uid, user.pw_gid)


_python_runs_as = {}


def _can_run_python(user):
    """Whether `user` can start this Python (it cannot when it lives in root's home)."""
    if user.pw_uid not in _python_runs_as:
        def drop():
            os.setgroups([])
            os.setgid(user.pw_gid)
            os.setuid(user.pw_uid)
        try:
            probe = subprocess.run([sys.executable, '-I', '-c', 'import numpy'], preexec_fn=drop,
                                   capture_output=True, timeout=60, cwd='/')
            _python_runs_as[user.pw_uid] = probe.returncode == 0
        except (OSError, subprocess.SubprocessError):
            _python_runs_as[user.pw_uid] = False
    return _python_runs_as[user.pw_uid]


def _become_subreaper():
    """Orphans of the worker (a setsid'd child, say) become this process's children, not
    init's, so that _kill_descendants can still find and kill them."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _kill_descendants(spare=()):
    """SIGKILL every process descended from this one, except the trees of `spare`, until none is left."""
    for _ in range(50):
        spared = set(spare)
        for pid in spare:
            spared.update(descendants(pid))
        victims = [pid for pid in descendants(os.getpid()) if pid not in spared]
        if not victims:
            return
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        for pid in victims:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
        time.sleep(0.01)


def descendants(root):
    """The pids of every live process descended from `root`, read from /proc."""
    children = {}
    for entry in Path('/proc').iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / 'stat').read_text()
            except OSError:
                continue
            fields = stat.rsplit(')', 1)[1].split()
            if fields[0] != 'Z':
                children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, stack = [], [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found
