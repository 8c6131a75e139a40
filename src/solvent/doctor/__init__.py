"""``solvent doctor``: the hidden technical debt of an ML project (Sculley et al. 2015), found
in its pipeline, ledger, code and data, each finding with its evidence and its fix."""
