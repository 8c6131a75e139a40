"""A seeded mutator for the files Solvent reads: byte-level damage (flips, cuts, splices) and
tokens a parser or a path check must survive (anchors and aliases, deep brackets, huge numbers,
``..`` and absolute paths, odd names, invalid UTF-8). The same seed gives the same input, so a
failure names the seed that reproduces it."""

from __future__ import annotations

import random
from collections.abc import Callable

TOKENS: tuple[bytes, ...] = (
    b"&a ", b"*a", b"<<: *a", b"&a [*a]", b'{"k":&a [1, 2], "j": [*a, *a]}', b"!!binary",
    b"!!python/object:os.system", b"? ",
    b"[" * 300, b"{" * 300, b"- " * 300, b"]", b"}", b": ", b"- ", b"#", b"'", b'"', b"|", b">",
    b"\t", b"\n", b"\r\n", b"\0", b"\xff\xfe", b"\xc3\x28", b"\xef\xbb\xbf", b"..", b"../..",
    b"/etc/passwd", b"/tmp", b"~", b"$HOME", b"${", b"${train.lr}", b"${nope}", b"${item}",
    b".inf", b"-.inf", b".nan", b"-1", b"1e400", b"9" * 5000, b"0x7fffffffffffffff", b"null",
    b"~", b"true", b"yes", b"[]", b"{}", b"n" * 300, b"a/" * 2000, b"\xe2\x80\xae", b"%TAG ",
    b"---\n", b"...\n", b"=", b"[remote]", b"[core]", b"remote = 1", b"\"\"\"", b"'''",
    b"blake3:" + b"0" * 64, b"blake3:zz", b"sha256:00", b"kind: dir", b"kind: file",
    b"path: .", b"path: ..", b"path: data", b"size: -1", b"files: 1e9",
)  # fmt: skip

Mutation = Callable[[random.Random, bytes], bytes]


def _flip(rng: random.Random, data: bytes) -> bytes:
    if not data:
        return bytes([rng.randrange(256)])
    i = rng.randrange(len(data))
    return data[:i] + bytes([data[i] ^ (1 << rng.randrange(8))]) + data[i + 1 :]


def _random_byte(rng: random.Random, data: bytes) -> bytes:
    i = rng.randrange(len(data) + 1)
    return data[:i] + bytes([rng.randrange(256)]) + data[i:]


def _cut(rng: random.Random, data: bytes) -> bytes:
    if len(data) < 2:
        return b""
    i = rng.randrange(len(data))
    j = min(len(data), i + rng.randrange(1, 40))
    return data[:i] + data[j:]


def _truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data) + 1)]


def _splice_token(rng: random.Random, data: bytes) -> bytes:
    i = rng.randrange(len(data) + 1)
    return data[:i] + rng.choice(TOKENS) + data[i:]


def _replace_value(rng: random.Random, data: bytes) -> bytes:
    """The text after one ': ' or '= ' up to its line's end, replaced by a token."""
    lines = data.split(b"\n")
    candidates = [n for n, line in enumerate(lines) if b": " in line or b" = " in line]
    if not candidates:
        return _splice_token(rng, data)
    n = rng.choice(candidates)
    sep = b": " if b": " in lines[n] else b" = "
    key = lines[n].split(sep, 1)[0]
    lines[n] = key + sep + rng.choice(TOKENS)
    return b"\n".join(lines)


def _duplicate_line(rng: random.Random, data: bytes) -> bytes:
    lines = data.split(b"\n")
    n = rng.randrange(len(lines))
    lines.insert(rng.randrange(len(lines) + 1), lines[n])
    return b"\n".join(lines)


def _swap_lines(rng: random.Random, data: bytes) -> bytes:
    lines = data.split(b"\n")
    if len(lines) < 2:
        return data
    a, b = rng.sample(range(len(lines)), 2)
    lines[a], lines[b] = lines[b], lines[a]
    return b"\n".join(lines)


def _reindent(rng: random.Random, data: bytes) -> bytes:
    lines = data.split(b"\n")
    n = rng.randrange(len(lines))
    lines[n] = b" " * rng.randrange(0, 9) + lines[n].lstrip(b" ")
    return b"\n".join(lines)


def _bomb(rng: random.Random, data: bytes) -> bytes:
    levels = rng.randrange(3, 10)
    text = b"b0: &b0 [x, x, x, x, x, x, x, x, x, x]\n"
    for k in range(1, levels):
        text += f"b{k}: &b{k} [{', '.join([f'*b{k - 1}'] * 10)}]\n".encode()
    return text + data if rng.random() < 0.5 else data + b"\n" + text


MUTATIONS: tuple[Mutation, ...] = (
    _flip, _random_byte, _cut, _truncate, _splice_token, _splice_token, _replace_value,
    _replace_value, _replace_value, _duplicate_line, _swap_lines, _reindent, _bomb,
)  # fmt: skip


def mutate(data: bytes, seed: int) -> bytes:
    """One to four mutations of ``data``, chosen by ``seed``."""
    rng = random.Random(seed)
    for _ in range(rng.randrange(1, 5)):
        data = rng.choice(MUTATIONS)(rng, data)
    return data
