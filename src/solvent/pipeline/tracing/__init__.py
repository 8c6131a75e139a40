"""Watching what a stage's processes open, and judging it against what the spec declares."""
