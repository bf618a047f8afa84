"""Builders of hostile and broken inputs for the adversarial tests; nothing here is shipped."""

import io
import json
import os
import stat
import struct
import subprocess
import sys
import zipfile

from tests.submissions import ROOT

RELU = '    return np.maximum(x, 0.0)\n'
# dL_dW_o is called by no other function: what its body does costs its own tests only.
DL_DW_O = ('two_layer.py', '    return h.T @ gradCE(target, prediction)\n')

# Hangs the worker's reads: a thread that takes the GIL and sleeps in C.
BLOCKING_THREAD = '''
import ctypes as _ctypes, threading as _threading, time as _time

def _hold_the_gil():
    _time.sleep(0.5)
    _ctypes.PyDLL(None).sleep(3600)     # libc's sleep, called with the GIL held


_threading.Thread(target=_hold_the_gil, daemon=True).start()
'''

# Text that would be 1 MiB in the results: an exception, a class name, an exit argument, a lone surrogate.
HUGE_TEXT = {
    'activations.py': '''
def relu(x):
    raise ValueError('x' * 2 ** 20)


def sigmoid(x):
    return type('C' * 2 ** 20, (), {})()


def tanh(x):
    import sys
    sys.exit('e' * 2 ** 20)


def gradRelu(x):
    print('\\ud800 lone surrogate')
    raise ValueError('\\ud800')
'''}


def relu_body(body):
    """A replace= edit of tests.submissions.build that gives the reference's relu another body."""
    return [('activations.py', RELU, body)]


def reference_zip(path, prefix='', only=None):
    """A zip of the reference's modules (or of `only` of them) under `prefix`; returns path."""
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as zf:
        for module in sorted((ROOT / 'solution').glob('*.py')):
            if only is None or module.name in only:
                zf.write(module, prefix + module.name)
    return path


def add_link_entry(archive, name, target):
    """Append to a zip an entry marked as a symbolic link (as `zip --symlinks` stores one)."""
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(archive, 'a') as zf:
        zf.writestr(info, target)


def corrupt_entry(archive, name, method=zipfile.ZIP_DEFLATED):
    """Rewrite a zip so that the compressed stream of entry `name` (written with `method`)
    is damaged in its middle while every header stays valid."""
    with zipfile.ZipFile(archive) as zf:
        contents = {info.filename: zf.read(info) for info in zf.infolist()}
    with zipfile.ZipFile(archive, 'w') as zf:
        for entry, data in contents.items():
            zf.writestr(entry, data, compress_type=method if entry == name else zipfile.ZIP_DEFLATED)
    raw = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as zf:
        info = zf.getinfo(name)
    header = info.header_offset
    name_length, extra_length = struct.unpack('<HH', raw[header + 26:header + 30])
    start = header + 30 + name_length + extra_length
    for offset in range(start + info.compress_size // 3, start + 2 * info.compress_size // 3):
        raw[offset] ^= 0x5A
    archive.write_bytes(bytes(raw))
    return archive


def zip_bomb(archive, inflated_bytes, declared_bytes=None):
    """A zip whose activations.py inflates to `inflated_bytes` zeros; with `declared_bytes`,
    its headers claim that size instead (the lie of a crafted archive)."""
    with zipfile.ZipFile(archive, 'w', zipfile.ZIP_DEFLATED) as zf:
        info = zipfile.ZipInfo('activations.py')
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, 'w') as entry:
            chunk = bytes(2 ** 20)
            for _ in range(inflated_bytes // len(chunk)):
                entry.write(chunk)
    if declared_bytes is not None:
        raw = bytearray(archive.read_bytes())
        local, central = raw.find(b'PK\x03\x04'), raw.find(b'PK\x01\x02')
        raw[local + 22:local + 26] = struct.pack('<I', declared_bytes)      # uncompressed size
        raw[central + 24:central + 28] = struct.pack('<I', declared_bytes)
        archive.write_bytes(bytes(raw))
    return archive


def invalid_utf8_name_zip(archive):
    """A zip whose one entry name is flagged UTF-8 but is not."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, 'w') as zf:
        zf.writestr('abc.py', 'x = 1\n')
    raw = bytearray(buffer.getvalue())
    for at in (raw.find(b'abc.py'), raw.rfind(b'abc.py')):
        raw[at:at + 3] = b'\xff\xfe\xfd'
    central = raw.find(b'PK\x01\x02')
    raw[central + 9] |= 0x08          # general purpose flag bit 11: the name is UTF-8
    archive.write_bytes(bytes(raw))
    return archive


def forged_answer(value_bytes):
    """Source of a dL_dW_o that writes, on the worker's own answer channel, a well-formed answer
    holding one array of `value_bytes` bytes, then returns normally."""
    return f'''    import json as _json, os as _os, stat as _stat, struct as _struct, io as _io
    _blob = _io.BytesIO()
    np.lib.format.write_array(_blob, np.zeros({value_bytes} // 8), allow_pickle=False)
    _blob = _blob.getvalue()
    _doc = _json.dumps({{'ok': True, 'value': {{'__array__': 0}}, 'output': ''}}).encode()
    _message = _struct.pack('<I', len(_doc)) + _doc + _struct.pack('<Q', len(_blob)) + _blob
    for _fd in range(3, 12):
        try:
            if _stat.S_ISFIFO(_os.fstat(_fd).st_mode):
                _os.write(_fd, _message)
        except OSError:
            pass
    return h.T @ gradCE(target, prediction)
'''


def grade_in_subprocess(source, suite='public', sandbox='bwrap', limits=None, parts=None):
    """Grade in a fresh Python process, on the given part numbers or all; (results, the grading
    process's peak resident MiB)."""
    code = ('import json, resource\n'
            'from grader.engine.sandbox.isolation import Limits\n'
            'from grader.spec import SPEC\n'
            'from tests.submissions import grade\n'
            f'spec = SPEC.offering({parts!r}) if {parts!r} else SPEC\n'
            f'results = grade({str(source)!r}, {suite!r}, spec, sandbox={sandbox!r},\n'
            f'                limits=Limits(**{limits or {}!r}))\n'
            'peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024\n'
            'print(json.dumps({"peak": peak, "results": results}))\n')
    done = subprocess.run([sys.executable, '-c', code], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    return out['results'], out['peak']


# Code a submission can run in the worker to write on the grader's own channels: the write
# ends of the pipes the worker holds, the answers' first and faulthandler's stacks' second.
CHANNELS = '''
import fcntl as _fcntl, json as _json, os as _os, stat as _stat, struct as _struct


def _channels():
    ends = []
    for fd in range(3, 64):
        try:
            if (_stat.S_ISFIFO(_os.fstat(fd).st_mode)
                    and _fcntl.fcntl(fd, _fcntl.F_GETFL) & _os.O_ACCMODE == _os.O_WRONLY):
                ends.append(fd)
        except OSError:
            pass
    return ends


def _send(document, *blobs):
    """Write one message in the worker's format on the answer channel."""
    message = _struct.pack('<I', len(document)) + document
    for blob in blobs:
        message += _struct.pack('<Q', len(blob)) + blob
    _os.write(_channels()[0], message)
'''


def npy_header(shape_text, data_bytes=8):
    """The bytes of a float64 .npy file whose header states `shape_text` (e.g. '(-1, -1)'),
    followed by `data_bytes` zero bytes."""
    header = f"{{'descr': '<f8', 'fortran_order': False, 'shape': {shape_text}, }}".encode()
    header += b' ' * (63 - (10 + len(header)) % 64) + b'\n'
    return b'\x93NUMPY\x01\x00' + struct.pack('<H', len(header)) + header + bytes(data_bytes)


def answers_then(document, blob=None, then='_time.sleep(60)'):
    """Source of a dL_dW_o that writes an answer of its own (the JSON `document`, and one
    .npy `blob`), then runs `then`; needs CHANNELS in the module."""
    blobs = f', {blob!r}' if blob is not None else ''
    return (f'    import time as _time\n'
            f'    _send({document!r}{blobs})\n'
            f'    {then}\n'
            f'    return h.T @ gradCE(target, prediction)\n')


def forged_stacks(frames):
    """Source of a dL_dW_o that writes a forged faulthandler dump naming `frames` (paths,
    each joined to the folder its own module was loaded from) on the stacks channel, then
    loops until the call times out; needs CHANNELS in the module."""
    return (f'    _here = _os.path.dirname(__file__)\n'
            f'    _dump = "Current thread 0x00007f0000000001 (most recent call first):\\n"\n'
            f'    for _path in {list(frames)!r}:\n'
            f'        _dump += f\'  File "{{_here}}{{_path}}", line 1 in dL_dW_o\\n\'\n'
            f'    _dump += \'  File "/grader/worker/runner.py", line 1 in call\\n\\n\'\n'
            f'    _os.write(_channels()[1], _dump.encode())\n'
            f'    while True:\n'
            f'        pass\n')
