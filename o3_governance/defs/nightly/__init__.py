"""Dagster definitions of the nightly domain (loaded by load_from_defs_folder)."""
