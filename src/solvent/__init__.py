"""Solvent keeps machine-learning projects out of technical debt."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Repo", "__version__"]

if TYPE_CHECKING:
    from solvent.api import Repo


def __getattr__(name: str) -> Any:
    # Imported on first use so 'solvent --version' does not pay for the whole package.
    if name == "Repo":
        from solvent.api import Repo

        return Repo
    raise AttributeError(name)
