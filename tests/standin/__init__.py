"""Stand-ins for the setups the grader supports, built by the tests at run time; nothing
here is shipped.

- a `bwrap` that fails as Ubuntu 24.04's does where AppArmor forbids unprivileged user
  namespaces (GitHub's ubuntu-latest runners) or as it does in a Docker container;
- a Python that `nobody` can run, as Gradescope's /usr/bin/python3 and /autograder/venv,
  and whose packages lie outside its own folders, as another checkout's venv's do;
- a process without CAP_SYS_ADMIN, as root is in Docker's default container (Gradescope's):
  it cannot give a worker a mount namespace;
- a process that runs as `nobody`, as a student runs the grader on a laptop: no root.
"""

import contextlib
import ctypes
import os
import pwd
import shutil
import site
import subprocess
import sys
import tempfile
from pathlib import Path

# What bubblewrap prints on Ubuntu 24.04 when AppArmor restricts unprivileged user namespaces.
UBUNTU_24_04 = ('bwrap: setting up uid map: Permission denied',
                'bwrap: loopback: Failed RTM_NEWADDR: Operation not permitted')
PR_CAPBSET_DROP = 24
CAP_SYS_ADMIN = 21


def failing_bwrap(folder, message=UBUNTU_24_04[0]):
    """A `bwrap` in folder/bin that fails as Ubuntu 24.04's does; returns folder/bin, for PATH."""
    return stub_commands(folder, bwrap=f"echo '{message}' >&2\nexit 1")


def path_with(bin_folder):
    """PATH with `bin_folder` first."""
    return f'{bin_folder}{os.pathsep}{os.environ.get("PATH", "/usr/bin:/bin")}'


@contextlib.contextmanager
def shared_folder(parent='/var/tmp', prefix='standin-'):
    """A temporary folder every user may pass and read (pytest's tmp_path is root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix=prefix, dir=parent))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def open_to_all(path):
    """Let every user read `path` and everything under it, as a default umask leaves files."""
    for item in [Path(path), *Path(path).rglob('*')]:
        if not item.is_symlink():
            item.chmod(0o755 if item.is_dir() or os.access(item, os.X_OK) else 0o644)


def borrowing_venv(folder):
    """A virtual environment of the system's Python, of this one's version, that borrows this
    environment's packages through a .pth file; returns its python.

    `nobody` can run it wherever the system's Python and these packages are readable to all,
    even where this environment's own interpreter lives in root's home (pyenv); bubblewrap,
    which shows the worker only the interpreter's own folders, leaves its packages out."""
    version = f'python{sys.version_info.major}.{sys.version_info.minor}'
    system = next((path for path in (f'/usr/bin/{version}', f'/usr/local/bin/{version}') if os.access(path, os.X_OK)),
                  None)
    assert system, f'these tests need the system\'s {version} (apt-get install {version}-venv)'
    venv = Path(folder) / 'venv'
    subprocess.run([system, '-m', 'venv', '--without-pip', str(venv)], check=True, capture_output=True, timeout=120)
    packages = venv / 'lib' / version / 'site-packages'
    (packages / 'borrowed.pth').write_text('\n'.join(site.getsitepackages()) + '\n')
    open_to_all(venv)
    return venv / 'bin' / 'python'


def nobody_can_run(python):
    """Whether `nobody` can start `python` and import numpy."""
    try:
        done = subprocess.run([str(python), '-I', '-c', 'import numpy'], preexec_fn=as_nobody, cwd='/',
                              capture_output=True, timeout=120)
    except PermissionError:
        return False
    return done.returncode == 0


def as_nobody():
    """preexec_fn: run as `nobody`, with no supplementary groups."""
    user = pwd.getpwnam('nobody')
    os.setgroups([])
    os.setgid(user.pw_gid)
    os.setuid(user.pw_uid)


def without_sys_admin():
    """preexec_fn: drop CAP_SYS_ADMIN from the bounding set, so that neither the program nor
    anything it starts may mount or make namespaces, as root in a default Docker container."""
    if ctypes.CDLL(None, use_errno=True).prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), 'cannot drop CAP_SYS_ADMIN')


def stub_commands(folder, **scripts):
    """Executable shell scripts folder/bin/NAME with the given bodies; returns folder/bin."""
    bin_folder = Path(folder) / 'bin'
    bin_folder.mkdir(parents=True, exist_ok=True)
    for name, body in scripts.items():
        (bin_folder / name).write_text(f'#!/bin/sh\n{body}\n')
        (bin_folder / name).chmod(0o755)
    return bin_folder
