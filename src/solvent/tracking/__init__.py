"""Data tracked with ``solvent add``: pointer files, add, status, diff and checkout."""
