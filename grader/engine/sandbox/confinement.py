"""Where and as whom a worker runs: its folder, its sandbox, its user, its groups.

A worker's home folder holds three things, apart so that none can shadow another:

    worker/       worker.py, runner.py, codec.py, plain.py: all of the grader the worker sees
    submission/   the package of the student's modules, and nothing else
    tmp/          the only place it may write (without bubblewrap)

Under bubblewrap the home is mounted read-only at /grader, and the worker writes to a
private tmpfs of `Limits.disk` bytes at /tmp. Without it, the worker runs from the home
itself; as root, the grader gives it a private mount namespace with a tmpfs of the
same size on tmp/ (when the kernel allows), and otherwise measures tmp/ after every
call. Under root the worker runs as `nobody` when it can; every worker of a submission
joins the submission's cgroup when there is one (cgroups.py).
"""

import ctypes
import functools
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .processes import run_reaped

WORKER = Path(__file__).resolve().parent / 'worker'
WORKER_FILES = ('worker.py', 'runner.py', 'codec.py', 'plain.py')
UNPRIVILEGED = 'nobody'
CLONE_NEWNS = 0x00020000
MS_NOSUID, MS_NODEV, MS_REC, MS_PRIVATE = 2, 4, 16384, 1 << 18


def bwrap_available():
    """True when bubblewrap is installed and can make a sandbox on this machine."""
    if shutil.which('bwrap') is None:
        return False
    return run_reaped(['bwrap', '--ro-bind', '/', '/', '--unshare-all', '--die-with-parent', 'true'], 30) == 0


def choose_sandbox(requested):
    """'bwrap' or 'none' for --sandbox auto|bwrap|none; ValueError if bwrap is asked for and unusable."""
    if requested == 'none':
        return 'none'
    if bwrap_available():
        return 'bwrap'
    if requested == 'bwrap':
        raise ValueError('--sandbox bwrap: bubblewrap is not installed or cannot create namespaces here')
    return 'none'


class Confinement:
    """How to start the worker of one submission.

    Inputs:
    - package_dir: folder of the student's modules (copied into the home)
    - package: the name the modules are imported under
    - limits: isolation.Limits
    - sandbox: 'bwrap' or 'none'
    - cgroup: the submission's cgroups.Cgroup, or None
    """

    def __init__(self, package_dir, package, limits, sandbox, cgroup=None):
        self.limits = limits
        self.sandbox = sandbox
        self.cgroup = cgroup
        self.home = Path(tempfile.mkdtemp(prefix='grader-worker-'))
        self.package_dir = self.home / 'submission' / package
        shutil.copytree(package_dir, self.package_dir, symlinks=True)
        (self.home / 'worker').mkdir()
        for name in WORKER_FILES:
            shutil.copy(WORKER / name, self.home / 'worker' / name)
        (self.home / 'tmp').mkdir()
        # Under root the worker runs as nobody: bubblewrap maps it in a user namespace;
        # without bubblewrap it changes user, if nobody can run this Python at all.
        self.user = _unprivileged_user() if os.geteuid() == 0 else None
        if self.user is not None and sandbox == 'none':
            _hand_over(self.home, self.user)
            if not _can_run_python(self.user):
                self.user = None
        self.runs_as = UNPRIVILEGED if self.user is not None else pwd.getpwuid(os.geteuid()).pw_name
        # bubblewrap sizes its own tmpfs; without it, root can mount one in a private namespace.
        self.disk_capped = sandbox == 'bwrap' or (os.geteuid() == 0 and _can_mount_tmpfs())

    def worker_root(self):
        """The worker's home folder as the worker sees it."""
        return Path('/grader') if self.sandbox == 'bwrap' else self.home

    def command(self):
        """The worker's command line."""
        root = self.worker_root()
        command = [sys.executable, '-I', str(root / 'worker' / 'worker.py'),
                   str(root / 'submission' / self.package_dir.name),
                   str(self.limits.memory), str(self.limits.cpu), str(self.limits.file_size),
                   str(self.limits.processes)]
        return self._bwrap() + command if self.sandbox == 'bwrap' else command

    def working_dir(self):
        """Where the worker starts, as the grader sees it."""
        return self.home / 'tmp'

    def environment(self):
        tmp = '/tmp' if self.sandbox == 'bwrap' else str(self.home / 'tmp')
        return {'PATH': '/usr/bin:/bin', 'HOME': tmp, 'TMPDIR': tmp, 'LANG': 'C.UTF-8',
                'PYTHONDONTWRITEBYTECODE': '1', 'PYTHONHASHSEED': '0', 'MPLBACKEND': 'Agg',
                'OPENBLAS_NUM_THREADS': '1', 'OMP_NUM_THREADS': '1', 'MKL_NUM_THREADS': '1',
                # see the Makefile: keeps freed arrays in the process instead of page-faulting them back
                'MALLOC_TOP_PAD_': '67108864'}

    def prepare_child(self):
        """Run in the forked child before exec: join the cgroup, mount the sized tmpfs
        (without bubblewrap), then give up root."""
        if self.cgroup is not None:
            self.cgroup.join()
        if self.sandbox == 'none':
            if self.disk_capped:
                _mount_private_tmpfs(self.home / 'tmp', self.limits.disk)
            if self.user is not None:
                os.setgroups([])
                os.setgid(self.user.pw_gid)
                os.setuid(self.user.pw_uid)

    def disk_used(self, max_entries):
        """Bytes in the worker's tmp/ folder, where no tmpfs bounds it (0 otherwise); infinite
        past `max_entries` files and folders, so that measuring stays cheap."""
        if self.disk_capped:
            return 0
        total, entries = 0, 0
        for folder, folders, files in os.walk(self.home / 'tmp'):
            entries += len(folders) + len(files)
            if entries > max_entries:
                return float('inf')
            for name in files:
                try:
                    total += os.lstat(os.path.join(folder, name)).st_size
                except OSError:
                    pass
        return total

    def clear_disk(self):
        """Empty the worker's tmp/ folder."""
        shutil.rmtree(self.home / 'tmp', ignore_errors=True)
        (self.home / 'tmp').mkdir(exist_ok=True)
        if self.user is not None and self.sandbox == 'none':
            os.chown(self.home / 'tmp', self.user.pw_uid, self.user.pw_gid)

    def remove(self):
        shutil.rmtree(self.home, ignore_errors=True)

    def _bwrap(self):
        """bubblewrap arguments: a read-only system, the interpreter, /grader, a sized /tmp."""
        # Mounts apply in order: the private /tmp first, so that binds below it stay visible.
        args = ['bwrap', '--size', str(self.limits.disk), '--tmpfs', '/tmp', '--ro-bind', '/usr', '/usr']
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
        args += ['--ro-bind', str(self.home), '/grader', '--proc', '/proc', '--dev', '/dev',
                 '--unshare-all', '--die-with-parent', '--new-session', '--hostname', 'sandbox',
                 '--chdir', '/tmp']
        if self.user is not None:
            args += ['--unshare-user', '--uid', str(self.user.pw_uid), '--gid', str(self.user.pw_gid)]
        return [*args, '--']


def _unprivileged_user():
    try:
        return pwd.getpwnam(UNPRIVILEGED)
    except KeyError:
        return None


def _hand_over(home, user):
    """Let the unprivileged user read the worker's files and write its tmp folder only."""
    for path in [home, *home.rglob('*')]:
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)
    os.chown(home / 'tmp', user.pw_uid, user.pw_gid)


@functools.cache
def _can_run_python(user):
    """Whether `user` can start this Python (it cannot when it lives in root's home)."""
    def drop():
        os.setgroups([])
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)
    try:
        probe = subprocess.run([sys.executable, '-I', '-c', 'import numpy'], preexec_fn=drop,
                               capture_output=True, timeout=60, cwd='/')
    except (OSError, subprocess.SubprocessError):
        return False
    return probe.returncode == 0


@functools.cache
def _can_mount_tmpfs():
    """Whether this process may give a child a private mount namespace with a tmpfs."""
    # The probe mounts over /tmp inside its own namespace, which leaves the real /tmp alone.
    probe = ('import ctypes, sys\n'
             'libc = ctypes.CDLL(None, use_errno=True)\n'
             f'ok = libc.unshare({CLONE_NEWNS}) == 0 and libc.mount(b"none", b"/", None, {MS_REC | MS_PRIVATE}, None) == 0\n'
             'ok = ok and libc.mount(b"tmpfs", b"/tmp", b"tmpfs", 0, b"size=1m") == 0\n'
             'sys.exit(0 if ok else 1)\n')
    try:
        return subprocess.run([sys.executable, '-I', '-c', probe], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def _mount_private_tmpfs(path, size):
    """In the calling (child) process: a mount namespace of its own, with a tmpfs of
    `size` bytes on `path` that its unprivileged user may write."""
    libc = ctypes.CDLL(None, use_errno=True)
    options = f'size={size},mode=1777'.encode()
    if (libc.unshare(CLONE_NEWNS) != 0 or libc.mount(b'none', b'/', None, MS_REC | MS_PRIVATE, None) != 0
            or libc.mount(b'tmpfs', str(path).encode(), b'tmpfs', MS_NOSUID | MS_NODEV, options) != 0):
        raise OSError(ctypes.get_errno(), 'could not mount the worker\'s tmpfs')
