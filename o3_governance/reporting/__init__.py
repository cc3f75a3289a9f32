"""Reporting domain: plain Python, no Dagster.

- ``data``        what the nightly report says, read from the warehouse as counts, ids and dates
- ``build``       the dated report folder: ``report.html`` (Jinja2 templates in ``templates/``, inline SVG
                  charts from ``charts``), CSV extracts, ``summary.json``, the Art. 30 record, ``manifest.json``
- ``history``     manifests, verification, the reports index and report retention (``O3_REPORT_RETENTION_DAYS``)
- ``art30``       the GDPR Art. 30 record of processing (``processing_activity.yaml`` + policy + data)
- ``policyview``  the policy as reports may show it (no chat or person a hold names)
- ``leakcheck``   guard: no chat name, author, phone or file name of the warehouse in a report
- ``server``      ``o3-governance serve-reports``: read-only Starlette app behind ``O3_REPORTS_TOKEN``
- ``screenshot``  headless Chromium screenshot of a report and a check that it rendered
"""
