"""Pictures of a project: the pipeline DAG as text, Mermaid, Graphviz DOT and an HTML page.

Everything here is a pure function from values to strings; the CLI does the I/O.
"""
