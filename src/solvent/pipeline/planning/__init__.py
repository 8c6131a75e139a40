"""What to run: the DAG, the lock, what the workspace holds, and why each stage is stale
(pure functions)."""
