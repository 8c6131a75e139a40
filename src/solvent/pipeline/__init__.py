"""Pipelines: the spec (solvent.yaml / dvc.yaml), the DAG, the lock, the planner, the scheduler."""
