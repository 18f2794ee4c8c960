"""tsio.py: a tiny reader and writer for tensor streams, tensor(5), in Python.

What it is: the format page as code, for the reference scripts (make_golden.py)
that write the golden files the C tests read. What it is not: a fast or
streaming reader; it loads a whole (small) file. lib/io/stream.[ch] is the real
implementation; this one follows man/man5/tensor.5 and checks the same fields.

    write(fp, name, array)      one record; array is float32 or uint8, rank 1-4
    dumps(records) -> bytes     records: iterable of (name, array)
    loads(data) -> [(name, array)]   every record, in order; raises ValueError
    read(path) -> {name: array} (names must be unique)

All fields are little-endian. A scalar is written as rank 1, dimension 1.
"""
import struct

import numpy as np

MAGIC = b"TNSR"
VERSION = 1
U8, F32 = 1, 2
MAX_RANK = 4
NAME_MAX = 255
MAX_DIM = 1 << 20
MAX_BYTES = 1 << 32
_HEAD = struct.Struct("<4sBBBBHH")      # magic, version, type, rank, flags, namelen, reserved
_DTYPES = {U8: np.dtype("u1"), F32: np.dtype("<f4")}


def _check_name(name):
    b = name.encode("utf-8")
    if len(b) > NAME_MAX or b"/" in b or b"\0" in b:
        raise ValueError("bad record name %r" % name)
    return b


def record(name, array):
    """The bytes of one record holding array (float32 or uint8)."""
    a = np.asarray(array)
    if a.dtype == np.uint8:
        t = U8
    elif a.dtype == np.float32:
        t = F32
    else:
        raise ValueError("%s: dtype %s is neither uint8 nor float32" % (name, a.dtype))
    if a.ndim == 0:
        a = a.reshape(1)
    if not 1 <= a.ndim <= MAX_RANK:
        raise ValueError("%s: rank %d" % (name, a.ndim))
    if any(d < 1 or d > MAX_DIM for d in a.shape):
        raise ValueError("%s: dimension out of range %s" % (name, a.shape))
    nb = _check_name(name)
    head = _HEAD.pack(MAGIC, VERSION, t, a.ndim, 0, len(nb), 0)
    dims = struct.pack("<%dI" % a.ndim, *a.shape)
    payload = np.ascontiguousarray(a, dtype=_DTYPES[t]).tobytes()
    if len(payload) > MAX_BYTES:
        raise ValueError("%s: payload over 4 GiB" % name)
    return head + dims + nb + payload


def write(fp, name, array):
    fp.write(record(name, array))


def dumps(records):
    return b"".join(record(n, a) for n, a in records)


def loads(data):
    """Every record of a stream held in data, as [(name, array)]."""
    out = []
    off = 0
    n = len(data)
    while off < n:
        if n - off < _HEAD.size:
            raise ValueError("record %d (byte %d): truncated header" % (len(out) + 1, off))
        magic, ver, t, rank, flags, namelen, res = _HEAD.unpack_from(data, off)
        where = "record %d (byte %d)" % (len(out) + 1, off)
        if magic != MAGIC:
            raise ValueError(where + ": bad magic")
        if ver != VERSION or t not in _DTYPES or not 1 <= rank <= MAX_RANK or flags or res:
            raise ValueError(where + ": bad header field")
        p = off + _HEAD.size
        if n - p < 4 * rank + namelen:
            raise ValueError(where + ": truncated header")
        dims = struct.unpack_from("<%dI" % rank, data, p)
        if any(d < 1 or d > MAX_DIM for d in dims):
            raise ValueError(where + ": dimension out of range")
        p += 4 * rank
        nb = bytes(data[p:p + namelen])
        if b"/" in nb or b"\0" in nb:
            raise ValueError(where + ": bad name")
        p += namelen
        size = int(np.prod(dims)) * _DTYPES[t].itemsize
        if size > MAX_BYTES:
            raise ValueError(where + ": payload over 4 GiB")
        if n - p < size:
            raise ValueError(where + ": truncated payload")
        a = np.frombuffer(data, dtype=_DTYPES[t], count=size // _DTYPES[t].itemsize, offset=p)
        out.append((nb.decode("utf-8"), a.reshape(dims).astype(_DTYPES[t].newbyteorder("="))))
        off = p + size
    return out


def read(path):
    """The records of the file at path as a dict; names must be unique."""
    with open(path, "rb") as f:
        recs = loads(f.read())
    d = {}
    for name, a in recs:
        if name in d:
            raise ValueError("%s: duplicate record name %r" % (path, name))
        d[name] = a
    return d


def selftest():
    """Check the writer against the example in tensor(5) and round-trip a few records."""
    ab = np.array([[[255, 0, 0], [0, 0, 255]]], dtype=np.uint8)
    want = bytes.fromhex("544e5352 01010300 02000000 01000000"
                         "02000000 03000000 6162ff00 000000ff")
    got = record("ab", ab)
    assert got == want, "tsio: writer disagrees with the example in tensor(5)"
    rng = np.random.default_rng(0)
    recs = [("s", np.float32(3.5)), ("", rng.standard_normal((2, 3, 4, 5)).astype(np.float32)),
            ("u", rng.integers(0, 256, (7,), dtype=np.uint8)), ("x" * NAME_MAX, np.zeros((1, 1), np.float32))]
    back = loads(dumps(recs))
    assert len(back) == len(recs)
    for (n0, a0), (n1, a1) in zip(recs, back):
        a0 = np.asarray(a0).reshape(np.asarray(a0).shape or (1,))
        assert n0 == n1 and a0.dtype == a1.dtype and a0.shape == a1.shape and a0.tobytes() == a1.tobytes()
    for bad in (dumps(recs)[:-1], b"TNSX" + dumps(recs)[4:]):
        try:
            loads(bad)
        except ValueError:
            continue
        raise AssertionError("tsio: a bad stream was accepted")
