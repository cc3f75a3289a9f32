"""The ``exports`` fixture: the three exports of ``support.attachment_exports`` ingested into a data folder."""
from __future__ import annotations

import pytest

from o3_governance import ingest
from support.attachment_exports import INGESTED_AT, write_exports


@pytest.fixture
def exports(data_layout):
    write_exports(data_layout.inbox)
    summary = ingest.ingest_inbox(data_layout, now=INGESTED_AT)
    assert all(a.status == "ingested" for a in summary.archives), [a.status for a in summary.archives]
    return data_layout
