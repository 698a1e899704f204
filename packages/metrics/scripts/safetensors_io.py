"""Minimal safetensors writer/reader (no `safetensors` package needed): 8-byte little-endian header length,
JSON header {name: {dtype, shape, data_offsets}}, `__metadata__` string map, raw little-endian data."""
import json
import struct

import numpy as np

_DTYPES = {np.dtype('float32'): 'F32', np.dtype('float64'): 'F64', np.dtype('int32'): 'I32', np.dtype('int64'): 'I64'}
_NP = {v: k for k, v in _DTYPES.items()}


def write_safetensors(path, arrays, metadata=None):
    header = {}
    offset = 0
    blobs = []
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        raw = a.astype(a.dtype.newbyteorder('<')).tobytes()
        header[name] = {'dtype': _DTYPES[a.dtype], 'shape': list(a.shape), 'data_offsets': [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    if metadata:
        header['__metadata__'] = {k: str(v) for k, v in metadata.items()}
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    import os
    os.replace(tmp, path)


def read_safetensors(path):
    with open(path, 'rb') as f:
        data = f.read()
    n = struct.unpack('<Q', data[:8])[0]
    header = json.loads(data[8:8 + n])
    meta = header.pop('__metadata__', {})
    out = {}
    for name, e in header.items():
        b, end = e['data_offsets']
        out[name] = np.frombuffer(data[8 + n + b:8 + n + end], dtype=_NP[e['dtype']]).reshape(e['shape']).copy()
    return out, meta
