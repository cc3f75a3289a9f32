"""reporting domain: plain Python, no Dagster."""
