"""Shared by the stages in src/pkg, imported as a sibling (``import text``)."""


def words(line: str, min_length: int) -> list[str]:
    return [w for w in line.lower().split() if len(w) >= min_length]
