"""The run ledger, lineage queries and (later) experiments. Imports only ``storage``."""
