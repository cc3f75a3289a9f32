"""Dagster definitions for the stores' housekeeping."""
