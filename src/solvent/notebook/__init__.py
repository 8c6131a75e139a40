"""Notebooks, read as code: their cells, their parameters, the files they read and write, and
the typed CLI script a notebook becomes (``solvent script``)."""
