"""Dagster definitions for the scanning domain."""
import dagster as dg

defs = dg.Definitions()
