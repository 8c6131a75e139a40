"""Data health: profiles, drift tests, leakage. Plain data in, results out.

Nothing here imports ``solvent.storage`` or ``solvent.pipeline``: the modules work on files,
pandas and Arrow objects, with or without a repo. They import numpy, pandas, pyarrow and scipy
(the ``health`` extra) at module level, so only health commands load them.
"""
