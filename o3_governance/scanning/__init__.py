"""scanning domain: plain Python, no Dagster."""
