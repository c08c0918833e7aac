"""A small GGUF v3 writer (the layout of docs/formats/gguf.md and llama.cpp's gguf.py):

    magic "GGUF", u32 version = 3, u64 n_tensors, u64 n_kv
    n_kv x (string key, u32 value type, value)      strings: u64 length + bytes
    n_tensors x (string name, u32 n_dims, u64 ne[n_dims], u32 type, u64 offset)
    padding to `alignment`, then the tensor data, each tensor at an aligned offset

Little-endian throughout. Only the value and tensor types the world model needs are here.
"""

import struct

import numpy as np

ALIGNMENT = 32

UINT32, INT32, FLOAT32, BOOL, STRING, ARRAY, UINT64 = 4, 5, 6, 7, 8, 9, 10
TENSOR_F32, TENSOR_F16 = 0, 1


def _string(s):
    data = s.encode("utf-8")
    return struct.pack("<Q", len(data)) + data


class GgufWriter:
    def __init__(self):
        self.kv = []
        self.tensors = []

    def add(self, key, value_type, value, array_type=None):
        self.kv.append((key, value_type, value, array_type))

    def u32(self, key, v): self.add(key, UINT32, v)
    def u64(self, key, v): self.add(key, UINT64, v)
    def f32(self, key, v): self.add(key, FLOAT32, v)
    def boolean(self, key, v): self.add(key, BOOL, v)
    def string(self, key, v): self.add(key, STRING, v)
    def string_array(self, key, v): self.add(key, ARRAY, v, STRING)
    def i32_array(self, key, v): self.add(key, ARRAY, v, INT32)

    def tensor(self, name, array):
        """`array`: a numpy array in row-major order (float32 or float16); GGUF's ne is its
        shape reversed (ne[0] is the row length)."""
        assert array.dtype in (np.float32, np.float16)
        self.tensors.append((name, np.ascontiguousarray(array)))

    @staticmethod
    def _scalar(value_type, v):
        if value_type == UINT32:
            return struct.pack("<I", v)
        if value_type == INT32:
            return struct.pack("<i", v)
        if value_type == FLOAT32:
            return struct.pack("<f", v)
        if value_type == BOOL:
            return struct.pack("<B", 1 if v else 0)
        if value_type == STRING:
            return _string(v)
        if value_type == UINT64:
            return struct.pack("<Q", v)
        raise ValueError(value_type)

    def to_bytes(self):
        out = bytearray(b"GGUF")
        out += struct.pack("<IQQ", 3, len(self.tensors), len(self.kv))
        for key, value_type, value, array_type in self.kv:
            out += _string(key) + struct.pack("<I", value_type)
            if value_type == ARRAY:
                out += struct.pack("<IQ", array_type, len(value))
                for v in value:
                    out += self._scalar(array_type, v)
            else:
                out += self._scalar(value_type, value)
        offset = 0
        layout = []
        for name, array in self.tensors:
            ttype = TENSOR_F32 if array.dtype == np.float32 else TENSOR_F16
            ne = list(reversed(array.shape))
            out += _string(name) + struct.pack("<I", len(ne))
            out += b"".join(struct.pack("<Q", n) for n in ne)
            out += struct.pack("<IQ", ttype, offset)
            layout.append((offset, array))
            offset += array.nbytes
            offset += (-offset) % ALIGNMENT
        out += b"\0" * ((-len(out)) % ALIGNMENT)
        data_start = len(out)
        for tensor_offset, array in layout:
            out += b"\0" * (data_start + tensor_offset - len(out))
            out += array.astype(array.dtype.newbyteorder("<")).tobytes()
        return bytes(out)

    def write(self, path):
        with open(path, "wb") as f:
            f.write(self.to_bytes())


def read_gguf(path):
    """Reads a GGUF v3 file written by GgufWriter (or any with the same value and tensor types):
    returns (metadata dict, {tensor name: numpy array in row-major order})."""
    with open(path, "rb") as f:
        data = f.read()
    pos = 0

    def take(fmt):
        nonlocal pos
        values = struct.unpack_from("<" + fmt, data, pos)
        pos += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    def string():
        nonlocal pos
        n = take("Q")
        s = data[pos:pos + n].decode("utf-8")
        pos += n
        return s

    scalar = {UINT32: "I", INT32: "i", FLOAT32: "f", BOOL: "B", UINT64: "Q"}

    def value(value_type):
        if value_type == STRING:
            return string()
        if value_type == ARRAY:
            elem_type, n = take("IQ")
            return [value(elem_type) for _ in range(n)]
        return take(scalar[value_type])

    assert data[:4] == b"GGUF"
    pos = 4
    version, n_tensors, n_kv = take("IQQ")
    assert version == 3
    meta = {}
    for _ in range(n_kv):
        key = string()
        meta[key] = value(take("I"))
    infos = []
    for _ in range(n_tensors):
        name = string()
        n_dims = take("I")
        ne = [take("Q") for _ in range(n_dims)]
        ttype, offset = take("IQ")
        infos.append((name, ne, ttype, offset))
    alignment = meta.get("general.alignment", ALIGNMENT)
    start = pos + (-pos) % alignment
    tensors = {}
    for name, ne, ttype, offset in infos:
        dtype = np.float32 if ttype == TENSOR_F32 else np.float16
        count = int(np.prod(ne))
        array = np.frombuffer(data, dtype=dtype, count=count, offset=start + offset)
        tensors[name] = array.reshape(list(reversed(ne)))
    return meta, tensors
