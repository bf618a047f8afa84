"""Finding, killing and reaping the processes a submission leaves behind, from /proc.

Every kill goes through a pidfd opened before the process is checked once more: a pid
read from /proc may be freed and given to an unrelated process (another grading's new
worker) between the read and the signal, and a pidfd cannot follow it there.
"""

import ctypes
import os
import signal
import subprocess
import time

PR_SET_CHILD_SUBREAPER = 36
MAX_CMDLINE = 4096


def become_subreaper():
    """Orphans of a worker (a setsid'd child, say) become this process's children, not
    init's, so that kill_descendants can still find and kill them."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def children(pid):
    """The pids of the children of `pid`, zombies included ([] when it is gone)."""
    found = []
    try:
        tasks = os.listdir(f'/proc/{pid}/task')
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f'/proc/{pid}/task/{task}/children', 'rb') as f:
                found += [int(child) for child in f.read().split()]
        except (OSError, ValueError):
            pass
    return found


def descendants(root):
    """The pids of every process descended from `root`, parents before children."""
    found, queue = [], [root]
    while queue:
        for child in sorted(children(queue.pop(0))):
            found.append(child)
            queue.append(child)
    return found


def kill_descendants(spare=()):
    """SIGKILL every process descended from this one, except the trees of `spare`, until
    none is left; then reap this process's exited children outside `spare`."""
    me = os.getpid()
    for _ in range(200):
        spared = set(spare)
        for pid in spare:
            spared.update(descendants(pid))
        victims = [pid for pid in descendants(me) if pid not in spared and state(pid) not in ('Z', None)]
        if not victims:
            break
        for pid in victims:
            kill_if(pid, lambda pid=pid: state(pid) not in ('Z', None) and _descends(pid, me))
        reap_children(spare)
        time.sleep(0.01)
    reap_children(spare)


def kill_if(pid, still_ours):
    """SIGKILL `pid` if `still_ours()` holds once a pidfd pins the process down."""
    try:
        fd = os.pidfd_open(pid)
    except OSError:
        return
    try:
        if still_ours():
            signal.pidfd_send_signal(fd, signal.SIGKILL)
    except OSError:
        pass
    finally:
        os.close(fd)


def reap(pid):
    """Kill `pid` and wait for its end, if it is a child of this process (as bubblewrap's inner
    process becomes when the outer one is killed); nothing otherwise."""
    me = os.getpid()
    kill_if(pid, lambda: parent(pid) == me)
    try:
        os.waitpid(pid, 0)
    except ChildProcessError:
        pass


def reap_children(spare=()):
    """Collect the exit status of this process's exited children (the inner processes
    of a killed bubblewrap come here as orphans), except those of `spare`, which their
    Popen objects wait for."""
    for pid in children(os.getpid()):
        if pid not in spare and state(pid) == 'Z':
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass


def run_reaped(command, timeout):
    """Run `command` in a session of its own and return its exit status; the orphans it
    leaves to this process (a subreaper, see become_subreaper) are reaped as well."""
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        code = process.wait(timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        code = process.wait()
    reap_orphans(process.pid)
    return code


def reap_orphans(leader, more=()):
    """Reap the processes of the group `leader` led, and `more`, that became this process's
    children when their parent died (bubblewrap's inner process, when the outer one is killed)."""
    for pid in children(os.getpid()):
        if pid in more or _group(pid) == leader:
            reap(pid)


def state(pid):
    """The one-letter state of a process ('R', 'S', 'Z', ...), None when it is gone."""
    fields = _stat(pid)
    return fields[0] if fields else None


def parent(pid):
    fields = _stat(pid)
    return int(fields[1]) if fields else None


def _group(pid):
    fields = _stat(pid)
    return int(fields[2]) if fields else None


def _descends(pid, ancestor):
    for _ in range(64):
        pid = parent(pid)
        if pid is None or pid <= 1:
            return False
        if pid == ancestor:
            return True
    return False


def _stat(pid):
    """The fields of /proc/pid/stat after the command name, or None."""
    try:
        with open(f'/proc/{pid}/stat', 'rb') as f:
            text = f.read(4096)
    except OSError:
        return None
    return text.rsplit(b')', 1)[1].decode('ascii', 'replace').split()


def runqueue_wait(pid):
    """Seconds the main thread of `pid` has waited on a run queue, ready but not given a CPU
    (schedstat's second field); None when it is gone or the kernel does not count it."""
    try:
        with open(f'/proc/{pid}/schedstat', 'rb') as f:
            return int(f.read(200).split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return None


def command_line(pid):
    """The first MAX_CMDLINE bytes of a process's argv as a list, [] when it is gone or unreadable."""
    try:
        with open(f'/proc/{pid}/cmdline', 'rb') as f:
            return f.read(MAX_CMDLINE).rstrip(b'\0').split(b'\0')
    except OSError:
        return []
