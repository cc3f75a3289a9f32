"""Private by default: entry points set umask 077; what the system keeps under the data folder is
owner-only, and what an older version left open is fixed on start with a one-line note (counts only)."""
import os
import stat
import zipfile
from pathlib import Path

import dagster as dg
import pytest

from conftest import zip_bytes
from o3_governance.cli import main
from o3_governance.storage import private
from o3_governance.storage.layout import DataLayout


@pytest.fixture
def open_umask():
    """A shell with the usual umask 022, restored afterwards."""
    before = os.umask(0o022)
    yield
    os.umask(before)


def _mode(p: Path) -> int:
    return stat.S_IMODE(os.lstat(p).st_mode)


def test_make_private_fixes_group_and_other_bits_and_counts_them(tmp_path, open_umask):
    root = tmp_path / "data"
    (root / "lake" / "messages").mkdir(parents=True)
    (root / "lake" / "messages" / "part-0.parquet").write_bytes(b"x")
    (root / "script").write_bytes(b"#!")
    os.chmod(root / "script", 0o755)
    (root / "already").write_bytes(b"x")
    os.chmod(root / "already", 0o600)
    outside = tmp_path / "outside.txt"
    outside.write_text("not ours to change")
    (root / "link").symlink_to(outside)
    fixed = private.make_private(root)
    assert (fixed.files, fixed.folders, fixed.failed) == (2, 3, 0)
    assert fixed.note() == ("made 2 file(s) and 3 folder(s) under the data folder owner-only "
                            "(they were open to group or others)")
    assert private.open_modes(root) == []
    assert _mode(root / "script") == 0o700 and _mode(root / "lake") == 0o700
    assert _mode(outside) == 0o644                        # a link is not followed
    assert private.make_private(root).note() is None      # nothing left to fix: no line
    assert private.make_private(tmp_path / "missing").note() is None


def test_the_cli_sets_umask_077_and_fixes_the_data_folder_with_one_line(data_layout, open_umask, capsys):
    os.chmod(data_layout.inbox, 0o755)
    (data_layout.inbox / "WhatsApp Chat with Werf Leuven.txt").write_text("12/03/2024, 09:01 - A: b\n")
    assert _mode(data_layout.inbox / "WhatsApp Chat with Werf Leuven.txt") == 0o644
    assert main(["check-policy"]) == 0
    assert os.umask(0o077) == 0o077                       # the command left the process private
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 1 and err[0].startswith("o3-governance: made 1 file(s) and ")
    assert "Werf" not in err[0]                           # counts, never names
    assert private.open_modes(data_layout.root) == []


def test_the_dagster_resource_sets_umask_077_when_a_run_starts(data_layout, open_umask):
    from o3_governance.defs.resources import GovernanceResource

    resource = GovernanceResource(data_dir=str(data_layout.root))
    resource.setup_for_execution(dg.build_init_resource_context())
    assert os.umask(0o077) == 0o077
    # Sensors open the resource without a context manager: it must stay a plain resource.
    assert not GovernanceResource._is_cm_resource_cls()


def test_the_report_server_sets_umask_077(monkeypatch, tmp_path, open_umask):
    from o3_governance.reporting import server

    monkeypatch.setattr(server.uvicorn, "run", lambda *a, **k: None)
    server.serve(tmp_path, "s3cret-token-for-tests-0123456789")
    assert os.umask(0o077) == 0o077


EXPORT = ("12/03/2024, 09:01 - Ann Peeters: Goeiemorgen, de plannen zijn klaar\n"
          "12/03/2024, 09:02 - Bram Claes: IMG-20240312-WA0001.jpg (file attached)\n"
          "12/03/2024, 09:03 - Bram Claes: Bel me op 0471 55 66 77\n")


@pytest.mark.e2e
def test_everything_a_nightly_run_creates_is_owner_only(tmp_path, monkeypatch, open_umask):
    """The real nightly job, started from a shell with umask 022 on a data folder an older version left
    open (0755/0644): afterwards nothing under the data folder is open to group or others."""
    from support.dagster_resources import resources
    from o3_governance.definitions import defs

    root = tmp_path / "data"
    monkeypatch.setenv("O3_DATA_DIR", str(root))
    monkeypatch.setenv("O3_AS_OF", "2026-11-24")
    anchor_file = tmp_path / "anchor.log"                 # outside the data folder
    monkeypatch.setenv("O3_AUDIT_ANCHOR", str(anchor_file))
    layout = DataLayout(root).ensure()
    (layout.inbox / "WhatsApp Chat with Werf Leuven.zip").write_bytes(zip_bytes({
        "WhatsApp Chat with Werf Leuven.txt": EXPORT.encode(), "IMG-20240312-WA0001.jpg": b"\xff\xd8\xff\xe0jpeg"}))
    (layout.inbox / "broken.zip").write_bytes(b"PK\x03\x04 not really a zip")
    assert private.open_modes(root)                       # the starting point is open
    home = tmp_path / "dagster_home"
    home.mkdir()
    with dg.DagsterInstance.local_temp(str(home)) as instance:
        result = defs.resolve_job_def("nightly_governance").execute_in_process(instance=instance,
                                                                               resources=resources())
    assert result.success
    for store in (layout.warehouse, layout.lake_messages, layout.media, layout.reports, layout.exports,
                  layout.quarantine, layout.work):
        assert store.exists(), store
    assert any(layout.quarantine.rglob("*")) and any(layout.media.rglob("*.jpg"))
    assert any(layout.lake_messages.rglob("*.parquet")) and any(layout.reports.rglob("report.html"))
    assert private.open_modes(root) == []
    assert _mode(root) == 0o700 and _mode(layout.warehouse) == 0o600
    # The night anchored the audit chain outside the data folder, and verify-audit agrees with it all.
    assert len(anchor_file.read_text().splitlines()) == 1 and _mode(anchor_file) == 0o600
    assert main(["verify-audit"]) == 0


def test_consecutive_writing_steps_walk_the_data_folder_once_between_them(data_layout, open_umask, monkeypatch):
    """Issue 16: each walk visits every file of the data folder; a step that starts right after a step of
    the same process ended with a walk does not walk first. The first step of a run, and a step after a
    pause, still fix what was left open before their body runs; every step walks at its end."""
    import time

    from o3_governance.defs import resources as res

    walks = []
    real = private.make_private
    monkeypatch.setattr(private, "make_private", lambda root: walks.append(root) or real(root))
    clock = [1000.0]
    monkeypatch.setattr(time, "monotonic", lambda: clock[0])
    governance = res.GovernanceResource(data_dir=str(data_layout.root))
    left_open = data_layout.root / "left-open.txt"

    @res.writes_warehouse
    def step(governance):
        assert private.open_modes(data_layout.root) == []   # fixed before the body when it walks first
        (data_layout.root / "dropped.txt").write_text("x")   # umask 022: open until the walk at the end
        os.chmod(data_layout.root / "dropped.txt", 0o644)

    left_open.write_text("x")
    os.chmod(left_open, 0o644)
    step(governance=governance)
    assert len(walks) == 2 and private.open_modes(data_layout.root) == []
    step(governance=governance)                      # right after: only the walk at its end
    assert len(walks) == 3 and private.open_modes(data_layout.root) == []
    clock[0] += 61                                   # after a pause (PRIVATE_FRESH_SECONDS): both walks again
    os.chmod(left_open, 0o644)
    step(governance=governance)
    assert len(walks) == 5 and private.open_modes(data_layout.root) == []
