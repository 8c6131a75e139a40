"""What the pipeline produced: outs to restore, versions of a path, params and metrics compared."""
