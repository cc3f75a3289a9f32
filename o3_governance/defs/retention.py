"""Dagster definitions for the retention domain."""
import dagster as dg

defs = dg.Definitions()
