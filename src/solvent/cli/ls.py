"""``solvent ls``: placeholder replaced below."""
