"""Reporting domain: plain Python, no Dagster.

- ``sections``    what the nightly report says, one module a section, read through the queries the
                  other domains publish (``storage/scanning/retention/rights.queries``): counts, ids, dates
- ``text``        chat labels and masked one-line reasons (what a report may write of a chat or a reason)
- ``build``       the dated report folder: ``report.html`` (Jinja2 templates in ``templates/``, inline SVG
                  charts from ``charts``), CSV extracts, ``summary.json``, the Art. 30 record, ``manifest.json``
- ``history``     manifests, verification, the reports index and report retention (days passed in)
- ``art30``       the GDPR Art. 30 record of processing (``processing_activity.yaml`` + policy + data)
- ``policyview``  the policy as reports may show it (no chat or person a hold names)
- ``leakcheck``   guard: no chat name, author, phone or file name of the warehouse in a report
- ``server``      ``o3-governance serve-reports``: read-only Starlette app behind a token
- ``screenshot``  headless Chromium screenshot of a report and a check that it rendered
"""
