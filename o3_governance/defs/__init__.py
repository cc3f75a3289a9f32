"""The Dagster shell: one module per domain, each exposing ``defs`` (a ``dagster.Definitions``).
Assets here are thin: they call the plain modules of the package and report counts only."""
