"""Where and as whom a worker runs: its folder, its sandbox, its user, its groups.

A worker's home folder holds three things, apart so that none can shadow another:

    worker/       worker.py, runner.py, codec.py, plain.py: all of the grader the worker sees
    submission/   the package of the student's modules, and nothing else
    tmp/          the only place it may write (without bubblewrap)

Under bubblewrap the home is mounted read-only at /grader, and the worker writes to a
private tmpfs of `Limits.disk` bytes at /tmp. Without it, the worker runs from the home
itself. As root (when the kernel allows), the grader then gives it a private mount
namespace of its own, which it arranges as bubblewrap would: an empty tmpfs, which
`nobody` can pass but not list, over every folder the worker must not see (the
secrets the grader names, the temporary folder where other gradings keep their
files, and the folders that would stop `nobody` on its way to the interpreter, such
as root's home), with the worker's home and the interpreter bound back where they
were; and a tmpfs of `Limits.disk` bytes on tmp/. Otherwise tmp/ is measured after
every call. Under root the worker runs as `nobody` when it can; every worker of a
submission joins the submission's cgroup when there is one (cgroups.py).
"""

import ctypes
import functools
import os
import pwd
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

from .processes import run_reaped

WORKER = Path(__file__).resolve().parent / 'worker'
WORKER_FILES = ('worker.py', 'runner.py', 'codec.py', 'plain.py')
UNPRIVILEGED = 'nobody'
CLONE_NEWNS = 0x00020000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 1, 2, 4, 32, 4096, 16384, 1 << 18
# Not where secrets are kept, and not what a tmpfs may cover: the worker needs them whole.
SYSTEM = ('/proc', '/sys', '/dev')
SHARED_WRITABLE = ('/dev/shm', '/dev/mqueue', '/var/tmp', '/run/lock', '/var/crash')
FIRST_OWN_ID = 2 ** 30
SHM_BYTES = 2 ** 20           # of the worker's /dev/shm under bubblewrap
CLONE_NEWIPC = 0x08000000


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
    - hidden: folders the worker must not see (the reference, the hidden tests, ...); hidden
      where the grader can give the worker a mount namespace, left to their permissions elsewhere
    """

    def __init__(self, package_dir, package, limits, sandbox, cgroup=None, hidden=()):
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
        # Without bubblewrap, root can give the worker a mount namespace of its own.
        self.private_mounts = sandbox == 'none' and os.geteuid() == 0 and _can_mount_tmpfs()
        # Under root the worker runs as nobody: bubblewrap maps it in a user namespace;
        # without bubblewrap it changes user, if nobody can run this Python at all.
        self.user = _unprivileged_user() if os.geteuid() == 0 else None
        self.needed = _outermost([str(self.home), os.path.realpath(self.home), *_interpreter_folders()])
        gates = _gates(self.needed, self.user) if self.private_mounts and self.user is not None else ()
        # Other gradings keep their copies of other submissions in the temporary folder.
        # The folders every user may write are covered too: files left there would outlive
        # the worker, fill the disk or the memory beyond its limits, and reach later gradings.
        self.hidden = (_hideable([*map(str, hidden), tempfile.gettempdir(), *gates], self.needed)
                       + _shared_writable() if self.private_mounts else ())
        if self.user is not None and sandbox == 'none':
            if not _can_run_python(self.user, gates):
                self.user = None
            else:
                # A user of its own, which no other grading's worker shares: none can signal
                # another, read its folder through /proc/<pid>/cwd, or use up its processes.
                self.user = _user_of_its_own()
                _hand_over(self.home, self.user)
        self.runs_as = (pwd.getpwuid(os.geteuid()).pw_name if self.user is None
                        else UNPRIVILEGED if self.user.pw_name == UNPRIVILEGED else f'uid {self.user.pw_uid}')
        # bubblewrap sizes its own tmpfs; without it, root mounts one in the private namespace.
        self.disk_capped = sandbox == 'bwrap' or self.private_mounts

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
        """Run in the forked child before exec: join the cgroup; without bubblewrap, enter a
        mount namespace of its own, where the hidden folders are empty and tmp/ is a sized
        tmpfs, then give up root."""
        if self.cgroup is not None:
            self.cgroup.join()
        if self.sandbox == 'none':
            if self.private_mounts:
                _private_mount_namespace()
                _hide(self.hidden, self.needed)
                _mount_tmpfs(self.home / 'tmp', f'size={self.limits.disk},mode=1777')
                # The working folder was entered before the mounts: through it, `..` would
                # still reach what they cover.
                os.chdir(self.working_dir())
            if self.user is not None:
                _become(self.user)

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
        # bubblewrap's /dev is a tmpfs of half the memory, /dev/shm in it: a small one of its own.
        args += ['--ro-bind', str(self.home), '/grader', '--proc', '/proc', '--dev', '/dev',
                 '--size', str(SHM_BYTES), '--tmpfs', '/dev/shm', '--remount-ro', '/dev',
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


def _user_of_its_own():
    """A user and group no account and no other worker has: an id drawn in a range above
    the ones systems give out (useradd stops at 60000, systemd's dynamic users at 65519)."""
    uid = FIRST_OWN_ID + secrets.randbelow(2 ** 24)
    return pwd.struct_passwd(('grader-worker', 'x', uid, uid, '', '/', '/usr/sbin/nologin'))


def _shared_writable():
    """The folders of this system that every user may write, outside the temporary folder."""
    return tuple(sorted({os.path.realpath(folder) for folder in SHARED_WRITABLE
                         if os.path.isdir(folder) and not os.path.islink(folder)}))


def _become(user):
    """Give up root for `user`, with no supplementary groups."""
    os.setgroups([])
    os.setgid(user.pw_gid)
    os.setuid(user.pw_uid)


def _interpreter_folders():
    """The folders of this Python: its virtual environment and the installation it was made from."""
    return sorted({sys.prefix, sys.base_prefix, os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix)})


def _within(path, folder):
    """Whether `path` is `folder` or lies inside it."""
    return path == folder or path.startswith(folder.rstrip('/') + '/')


def _outermost(folders):
    """`folders` without those inside another of them, sorted."""
    folders = set(folders)
    return sorted(folder for folder in folders if not any(other != folder and _within(folder, other)
                                                          for other in folders))


def _passable(folder, user):
    """Whether `user` may pass through `folder` (its search permission, ignoring ACLs)."""
    st = os.stat(folder)
    if st.st_uid == user.pw_uid:
        return bool(st.st_mode & stat.S_IXUSR)
    if st.st_gid == user.pw_gid:
        return bool(st.st_mode & stat.S_IXGRP)
    return bool(st.st_mode & stat.S_IXOTH)


def _gates(needed, user):
    """The outermost folder on the way to each of `needed` that `user` cannot pass (root's
    home, where pyenv keeps Python): hidden, they are passable stand-ins."""
    gates = set()
    for path in needed:
        blocking = [str(folder) for folder in reversed(Path(path).parents) if not _passable(folder, user)]
        if blocking:
            gates.add(blocking[0])
    return tuple(sorted(gates))


def _hideable(paths, needed):
    """The folders among `paths` a tmpfs may cover, resolved, outermost first: not the root,
    the system's virtual folders or a folder the worker needs, and only one of nested ones
    (unless a needed folder in between shows the inner one again)."""
    folders = sorted({os.path.realpath(path) for path in paths if os.path.isdir(path)}, key=lambda p: p.count('/'))
    chosen = []
    for folder in folders:
        if folder == '/' or folder in needed or any(_within(folder, system) for system in SYSTEM):
            continue
        covered = any(_within(folder, outer) for outer in chosen)
        if covered and not any(_within(folder, need) for need in needed):
            continue
        chosen.append(folder)
    return tuple(chosen)


def _hand_over(home, user):
    """Let the unprivileged user read the worker's files and write its tmp folder only."""
    for path in [home, *home.rglob('*')]:
        if not path.is_symlink():
            path.chmod(0o755 if path.is_dir() else 0o644)
    os.chown(home / 'tmp', user.pw_uid, user.pw_gid)


@functools.cache
def _can_run_python(user, gates):
    """Whether `user` can start this Python, with `gates` hidden as the worker's are (it
    cannot when Python lives in root's home and no mount namespace can hide that)."""
    def drop():
        if gates:
            _private_mount_namespace()
            _hide(gates, _outermost(_interpreter_folders()))
        _become(user)
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


def _mount(source, target, kind, flags, options=None):
    """mount(2); OSError when it fails."""
    source_, target_, kind_, options_ = (None if arg is None else os.fsencode(str(arg))
                                         for arg in (source, target, kind, options))
    if ctypes.CDLL(None, use_errno=True).mount(source_, target_, kind_, flags, options_) != 0:
        raise OSError(ctypes.get_errno(), f'could not mount {kind or source} on {target} for the worker')


def _private_mount_namespace():
    """In the calling (child) process: a mount namespace of its own, whose mounts stay in it,
    and System V IPC of its own, whose shared memory goes with it instead of outliving it."""
    if ctypes.CDLL(None, use_errno=True).unshare(CLONE_NEWNS | CLONE_NEWIPC) != 0:
        raise OSError(ctypes.get_errno(), 'could not give the worker a mount namespace')
    _mount('none', '/', None, MS_REC | MS_PRIVATE)


def _mount_tmpfs(path, options):
    _mount('tmpfs', path, 'tmpfs', MS_NOSUID | MS_NODEV, options)


def _passable_folders(top, path):
    """Make the folders from `top` down to `path`, each one that others may pass but not list:
    a folder between the tmpfs and a bound-back one must not show what else it held."""
    for folder in [*reversed(Path(path).relative_to(top).parents), Path(path).relative_to(top)][1:]:
        target = Path(top) / folder
        if not target.exists():
            target.mkdir()
            target.chmod(0o711)


def _hide(folders, needed):
    """In the calling (child) process's private mount namespace: on each of `folders`
    (outermost first), a read-only tmpfs that others may pass but not list, with the
    `needed` folders inside it bound back where they were."""
    for folder in folders:
        inside = [need for need in needed if _within(need, folder)]
        # Opened before the tmpfs covers them: the binds below come from these.
        handles = [os.open(need, os.O_PATH | os.O_DIRECTORY) for need in inside]
        try:
            _mount_tmpfs(folder, 'mode=711')
            for need, handle in zip(inside, handles):
                _passable_folders(folder, need)
                _mount(f'/proc/self/fd/{handle}', need, None, MS_BIND | MS_REC)
        finally:
            for handle in handles:
                os.close(handle)
        _mount(None, folder, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
