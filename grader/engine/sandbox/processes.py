"""Finding and killing the processes a submission leaves behind, from /proc."""

import ctypes
import os
import signal
import time
from pathlib import Path

PR_SET_CHILD_SUBREAPER = 36


def become_subreaper():
    """Orphans of a worker (a setsid'd child, say) become this process's children, not
    init's, so that kill_descendants can still find and kill them."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def kill_descendants(spare=()):
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
    """The pids of every live process descended from `root`, parents before children."""
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
    found, queue = [], [root]
    while queue:
        for child in sorted(children.get(queue.pop(0), [])):
            found.append(child)
            queue.append(child)
    return found


def command_line(pid):
    """The argv of a process, [] when it is gone or unreadable."""
    try:
        return Path(f'/proc/{pid}/cmdline').read_bytes().rstrip(b'\0').split(b'\0')
    except OSError:
        return []
