"""The pipeline file: loading, validating and interpolating it, the values it resolves to, and
editing it in place."""
