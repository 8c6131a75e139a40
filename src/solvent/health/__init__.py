"""Data and model health: profiles, drift tests, leakage; learned thresholds, monitoring of
prediction logs, feature audits, and their reports. Plain data in, results out.

Nothing here imports ``solvent.storage`` or ``solvent.pipeline``: the modules work on files,
pandas and Arrow objects, with or without a repo. They import numpy, pandas, pyarrow and scipy
(the ``health`` extra; scikit-learn and joblib for the model modules) at module level, so only
health commands load them.
"""
