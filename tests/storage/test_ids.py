from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from solvent.storage.ids import ALGORITHM, ObjectId

HEX64 = "0123456789abcdef" * 4


def test_parse_and_format_round_trip() -> None:
    oid = ObjectId.parse(f"blake3:{HEX64}")
    assert oid.algorithm == ALGORITHM == "blake3"
    assert oid.digest == HEX64
    assert str(oid) == f"blake3:{HEX64}"
    assert oid.short == HEX64[:10]
    assert ObjectId.from_digest(HEX64) == oid


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        (HEX64, "no algorithm prefix"),
        ("", "no algorithm prefix"),
        (f"sha256:{HEX64}", "unknown algorithm"),
        (f"BLAKE3:{HEX64}", "unknown algorithm"),
        (f":{HEX64}", "unknown algorithm"),
        ("blake3:", "64 lowercase hex"),
        (f"blake3:{HEX64[:-1]}", "64 lowercase hex"),
        (f"blake3:{HEX64}0", "64 lowercase hex"),
        (f"blake3:{HEX64.upper()}", "64 lowercase hex"),
        (f"blake3:{HEX64[:-1]}g", "64 lowercase hex"),
        (f"blake3: {HEX64[1:]}", "64 lowercase hex"),
        (f"blake3:{HEX64}\n", "64 lowercase hex"),
        (f"blake3:blake3:{HEX64}", "64 lowercase hex"),
    ],
)
def test_bad_ids_are_rejected(text: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint):
        ObjectId.parse(text)


def test_ids_are_values() -> None:
    a = ObjectId.from_digest("a" * 64)
    b = ObjectId.from_digest("b" * 64)
    assert a == ObjectId.parse(str(a))
    assert len({a, ObjectId.from_digest("a" * 64), b}) == 2
    assert sorted([b, a]) == [a, b]
    with pytest.raises(AttributeError):
        a.digest = "c" * 64  # type: ignore[misc]


@given(st.text(alphabet="0123456789abcdef", min_size=64, max_size=64))
def test_any_digest_round_trips(digest: str) -> None:
    oid = ObjectId.from_digest(digest)
    assert ObjectId.parse(str(oid)) == oid


@given(st.text(max_size=80))
def test_parse_accepts_only_canonical_text(text: str) -> None:
    try:
        oid = ObjectId.parse(text)
    except ValueError:
        return
    assert str(oid) == text
