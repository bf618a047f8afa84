"""A memory and a pids cgroup per submission: limits on all of its processes together.

Resource limits (setrlimit) hold per process: four children of 1 GiB each pass a 2 GiB
address-space limit, and RLIMIT_NPROC does not bind a worker whose user maps to root.
A cgroup bounds the sum. Where the grader may create one (as root, cgroup v1 with the
memory and pids controllers mounted, or cgroup v2 with both controllers available to
a group it can create), every worker of a submission runs inside it; elsewhere
`Cgroup.create` returns None and only the per-process limits hold (SECURITY.md).
"""

import itertools
import os
import secrets
import time
from pathlib import Path

from .processes import kill_if

ROOT = Path('/sys/fs/cgroup')
KILL_WAIT = 10.0              # seconds for the killed processes of a group to be gone
_names = itertools.count()


class Cgroup:
    """One submission's group in each controller it uses.

    - paths: {'memory': Path, 'pids': Path} and maybe 'cpu' for cgroup v1, or {'unified': Path} for v2
    """

    def __init__(self, paths, version):
        self.paths = paths
        self.version = version

    @classmethod
    def create(cls, memory, processes, root=ROOT):
        """A new group limited to `memory` bytes and `processes` processes, or None
        when this machine does not let the grader make one."""
        if os.geteuid() != 0:
            return None
        # A random part: a group a killed grading left behind must not clash with a later one of its pid.
        name = f'grader-{os.getpid()}-{next(_names)}-{secrets.token_hex(4)}'
        made = _create_v2(root, name) if (root / 'cgroup.controllers').exists() else _create_v1(root, name)
        if made is None:
            return None
        group = cls(*made)
        try:
            group._limit(memory, processes)
        except OSError:
            group.remove()
            return None
        for path in group.paths.values():
            _remove_abandoned(path.parent)
        return group

    def _limit(self, memory, processes):
        if self.version == 2:
            unified = self.paths['unified']
            _write(unified / 'memory.max', memory)
            _write(unified / 'pids.max', processes)
            if (unified / 'memory.swap.max').exists():
                _write(unified / 'memory.swap.max', 0)
            return
        _write(self.paths['memory'] / 'memory.limit_in_bytes', memory)
        # Without this the kernel would swap a submission out instead of stopping it.
        if (self.paths['memory'] / 'memory.memsw.limit_in_bytes').exists():
            _write(self.paths['memory'] / 'memory.memsw.limit_in_bytes', memory)
        _write(self.paths['pids'] / 'pids.max', processes)

    def join(self):
        """Move the calling process into the group (run in the worker before exec)."""
        for path in self.paths.values():
            _write(path / 'cgroup.procs', os.getpid())

    def out_of_memory(self):
        """Whether the kernel killed a process of the group for exceeding its memory."""
        if self.version == 2:
            return _counter(self.paths['unified'] / 'memory.events', 'oom_kill') > 0
        return _counter(self.paths['memory'] / 'memory.oom_control', 'oom_kill') > 0

    def processes(self):
        """The pids in the group."""
        path = self.paths.get('pids', self.paths.get('unified'))
        return [int(pid) for pid in _read(path / 'cgroup.procs').split()]

    def kill(self):
        """SIGKILL every process of the group, until none is left (or KILL_WAIT has passed)."""
        deadline = time.monotonic() + KILL_WAIT
        while time.monotonic() < deadline:
            pids = self.processes()
            if not pids:
                return
            for pid in pids:
                kill_if(pid, lambda pid=pid: pid in self.processes())
            time.sleep(0.005)

    def remove(self):
        """Kill what is left and delete the group's folders."""
        self.kill()
        for path in self.paths.values():
            for _ in range(50):
                try:
                    path.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.02)   # the last processes are still exiting


def _own_path(controller):
    """This process's group in a v1 controller ('memory') or in v2 (''), from /proc/self/cgroup."""
    for line in _read(Path('/proc/self/cgroup')).splitlines():
        _, controllers, path = line.split(':', 2)
        if controller in controllers.split(',') or (controller == '' and controllers == ''):
            return path.lstrip('/')
    return None


def _create_v1(root, name):
    """The memory and pids groups, and a cpu group where that controller is mounted: the CPU
    is then shared by group, so a submission that runs many processes takes no more of it
    from the gradings beside it than one that runs one."""
    paths = {}
    for controller in ('memory', 'pids'):
        path = _make_v1(root, controller, name)
        if path is None:
            for made in paths.values():
                made.rmdir()
            return None
        paths[controller] = path
    cpu = _make_v1(root, 'cpu', name)
    if cpu is not None:
        paths['cpu'] = cpu
    return paths, 1


def _make_v1(root, controller, name):
    """A new group `name` beside this process's own in a v1 controller, or None."""
    own = _own_path(controller)
    if own is None or not (root / controller).is_dir():
        return None
    path = root / controller / own / name
    try:
        path.mkdir()
    except OSError:
        return None
    return path


def _create_v2(root, name):
    """A group beside this process's own: v2 forbids controllers in a group that holds
    processes, so the new group is a sibling under the parent, where both controllers
    must already be enabled (a delegated subtree, or the root)."""
    own = _own_path('')
    if own is None:
        return None
    parent = (root / own).parent if own else root
    enabled = set(_read(parent / 'cgroup.subtree_control').split())
    if not {'memory', 'pids'} <= enabled:
        return None
    try:
        (parent / name).mkdir()
    except OSError:
        return None
    return {'unified': parent / name}, 2


def _remove_abandoned(parent):
    """Remove the empty groups that gradings killed before their end left in `parent`: those
    named for a process that is gone."""
    for path in parent.glob('grader-*-*'):
        pid = path.name.split('-')[1]
        if pid.isdigit() and not os.path.exists(f'/proc/{pid}') and not _read(path / 'cgroup.procs').strip():
            try:
                path.rmdir()
            except OSError:
                pass


def _counter(path, key):
    for line in _read(path).splitlines():
        fields = line.split()
        if len(fields) == 2 and fields[0] == key:
            return int(fields[1])
    return 0


def _read(path):
    try:
        return Path(path).read_text()
    except OSError:
        return ''


def _write(path, value):
    with open(path, 'w') as f:
        f.write(str(value))
