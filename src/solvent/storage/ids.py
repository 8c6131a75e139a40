"""Object ids carry their algorithm (``blake3:<64 hex>``) so a later change needs no migration."""

from __future__ import annotations

import re
from dataclasses import dataclass

ALGORITHM = "blake3"
_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, order=True, slots=True)
class ObjectId:
    algorithm: str
    digest: str

    @classmethod
    def parse(cls, text: str) -> ObjectId:
        """Parse ``blake3:<hex>``; raises ``ValueError`` naming what is wrong."""
        algorithm, sep, digest = text.partition(":")
        if not sep:
            raise ValueError(
                f"object id {text!r} has no algorithm prefix (expected 'blake3:<hex>')"
            )
        if algorithm != ALGORITHM:
            raise ValueError(f"object id {text!r} uses unknown algorithm {algorithm!r}")
        if not _HEX.fullmatch(digest):
            raise ValueError(f"object id {text!r} is not 64 lowercase hex digits")
        return cls(algorithm, digest)

    @classmethod
    def from_digest(cls, digest: str) -> ObjectId:
        """An id from a digest already known to be 64 lowercase hex digits (ours)."""
        oid: ObjectId = _new(cls)  # thousands per command: skip the frozen per-field setattr
        _SET_ALGORITHM(oid, ALGORITHM)
        _SET_DIGEST(oid, digest)
        return oid

    def __hash__(self) -> int:
        # The digest's own hash (cached by str), not a new tuple's: ids are looked up in sets
        # four times per stored file. Equal ids have equal digests, so this agrees with __eq__.
        return hash(self.digest)

    def __str__(self) -> str:
        return f"{self.algorithm}:{self.digest}"

    @property
    def short(self) -> str:
        return self.digest[:10]


_new = object.__new__
_SET_ALGORITHM = ObjectId.__dict__["algorithm"].__set__  # the slots' own descriptors
_SET_DIGEST = ObjectId.__dict__["digest"].__set__
