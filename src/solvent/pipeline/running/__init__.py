"""Running stages: the scheduler loop, executors (local, Dask), workers, the run-cache and the
records written to the run ledger."""
