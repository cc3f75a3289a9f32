"""The keyed audit chain and its anchors: tampering that re-chains, cuts rows and the head file, uses the
unkeyed hash or another key, or edits the anchor file is named by ``verify-audit``; an intact chain
passes; an unkeyed chain from before keying is keyed once."""
import hashlib
import json
import stat
from datetime import date, datetime, timedelta, timezone

import pytest

from o3_governance import settings
from o3_governance.cli import main
from o3_governance.reporting import history
from o3_governance.storage import audit, warehouse

T0 = datetime(2026, 1, 1, 3, 0, tzinfo=timezone.utc)


def _log(con, n, start=0):
    for i in range(start, start + n):
        audit.append(con, "event", {"i": i}, run_id=f"run-{i}", ts=T0 + timedelta(seconds=i))


def _manifest(layout, con, day: str, ts):
    """A report folder whose manifest carries the head, written by the reporting writer itself."""
    folder = layout.reports / day
    folder.mkdir(parents=True)
    (folder / "report.html").write_text("<html></html>")
    history.write_manifest(folder, date.fromisoformat(day), ts.isoformat(), audit.anchor(con, ts=ts))


def _rechain(con, hasher):
    """What a forger does: recompute every row's links and hashes with ``hasher``."""
    prev = audit.GENESIS
    for seq, ts, run_id, event, details in con.execute(
            "SELECT seq, ts, run_id, event, details FROM audit_log ORDER BY seq").fetchall():
        h = hasher(prev, seq, ts, run_id, event, details)
        con.execute("UPDATE audit_log SET prev_hash = ?, row_hash = ? WHERE seq = ?", [prev, h, seq])
        prev = h


@pytest.fixture
def anchored(data_layout, tmp_path, monkeypatch):
    """Ten rows anchored three times: a report manifest after 4 rows, the anchor file throughout, and
    the CLI pointed at the anchor file (outside the data folder)."""
    anchor_file = tmp_path / "outside" / "audit-anchor.log"
    anchor_file.parent.mkdir()
    monkeypatch.setenv("O3_AUDIT_ANCHOR", str(anchor_file))
    with audit.configured(key=None, anchor_file=anchor_file):
        with warehouse.open_warehouse(data_layout.warehouse) as con:
            _log(con, 4)
            _manifest(data_layout, con, "2026-01-01", T0 + timedelta(hours=1))   # rows 1-4 (+ anchored row 5)
            _log(con, 3, start=10)
            audit.anchor(con, ts=T0 + timedelta(hours=2))                        # rows 1-8 (+ row 9)
            _log(con, 1, start=20)
    return data_layout, anchor_file


def verify_audit(capsys):
    code = main(["verify-audit"])
    out, err = capsys.readouterr()
    return code, out + err


def test_an_intact_chain_and_its_anchors_verify(anchored, capsys):
    code, text = verify_audit(capsys)
    assert code == 0, text
    assert "audit chain intact: 10 rows, keyed" in text and "the anchor file" in text
    lines = anchored[1].read_text().splitlines()
    assert [json.loads(x)["rows"] for x in lines] == [4, 8]
    assert set(json.loads(lines[0])) == {"ts", "rows", "head"}


def test_rows_are_hmac_keyed_and_the_key_is_private(data_layout):
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        _log(con, 2)
        seq, ts, run_id, event, details, prev, stored = con.execute(
            "SELECT * FROM audit_log WHERE seq = 2").fetchone()
        assert audit.unkeyed_hash(prev, seq, ts, run_id, event, details) != stored
        assert audit.keyed_hash(audit.chain_key(con), prev, seq, ts, run_id, event, details) == stored
    key_file = data_layout.root / ".secret" / "audit_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700


def test_deleting_the_last_rows_and_the_head_file_is_seen_by_the_anchors(anchored, capsys):
    layout, _ = anchored
    with warehouse.open_warehouse(layout.warehouse) as con:
        con.execute("DELETE FROM audit_log WHERE seq > 6")
        (layout.warehouse.parent / "audit_head.json").unlink()
        assert audit.verify(con).ok          # what is left is a chain that links up: only anchors know more
    code, text = verify_audit(capsys)
    assert code == 1 and len(text.splitlines()) == 1
    assert "anchor file line 2: remembers 8 audit rows, the chain has 6 (rows removed)" in text


def test_deleting_rows_is_seen_by_a_report_manifest_without_an_anchor_file(anchored, capsys, monkeypatch):
    layout, _ = anchored
    monkeypatch.delenv("O3_AUDIT_ANCHOR")
    with warehouse.open_warehouse(layout.warehouse) as con:
        con.execute("DELETE FROM audit_log WHERE seq > 3")
        (layout.warehouse.parent / "audit_head.json").unlink()
    code, text = verify_audit(capsys)
    assert code == 1 and "report 2026-01-01 manifest: remembers 4 audit rows, the chain has 3" in text


def test_an_edit_rechained_with_the_unkeyed_hash_fails(anchored, capsys):
    layout, _ = anchored
    with warehouse.open_warehouse(layout.warehouse) as con:
        con.execute("""UPDATE audit_log SET details = '{"i":99}' WHERE seq = 3""")
        _rechain(con, audit.unkeyed_hash)
        last = con.execute("SELECT seq, row_hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        (layout.warehouse.parent / "audit_head.json").write_text(json.dumps({"seq": last[0], "row_hash": last[1]}))
    code, text = verify_audit(capsys)
    assert code == 1 and "row 1: contents do not match its hash (edited)" in text


def test_an_unkeyed_rechain_with_the_key_files_removed_is_caught_by_an_anchor(anchored, capsys):
    """The forger also deletes .secret (so the chain looks like one from before keying): the anchors
    outside the warehouse still hold the keyed heads."""
    layout, _ = anchored
    with warehouse.open_warehouse(layout.warehouse) as con:
        con.execute("""UPDATE audit_log SET details = '{"i":99}' WHERE seq = 3""")
        _rechain(con, audit.unkeyed_hash)
        last = con.execute("SELECT seq, row_hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        (layout.warehouse.parent / "audit_head.json").write_text(json.dumps({"seq": last[0], "row_hash": last[1]}))
    for name in ("audit_key", "audit_chain.json"):
        (layout.root / ".secret" / name).unlink()
    code, text = verify_audit(capsys)
    assert code == 1 and "report 2026-01-01 manifest: row 4 differs from the head it remembers" in text


def test_an_edit_rechained_with_another_key_fails(anchored, capsys):
    layout, _ = anchored
    wrong = b"not-the-audit-key-at-all"
    with warehouse.open_warehouse(layout.warehouse) as con:
        con.execute("""UPDATE audit_log SET details = '{"i":99}' WHERE seq = 7""")
        _rechain(con, lambda *a: audit.keyed_hash(wrong, *a))
    code, text = verify_audit(capsys)
    assert code == 1 and "row 1: contents do not match its hash (edited)" in text


@pytest.mark.parametrize("damage, named", [
    (lambda lines: lines[:1], "anchor file line 2: missing (the file has 1 lines: cut or replaced)"),
    (lambda lines: [], "anchor file line 2: missing (the file has 0 lines: cut or replaced)"),
    (lambda lines: [lines[0].replace('"rows": 4', '"rows": 3')] + lines[1:], "anchor file line 1: row 3 differs"),
    (lambda lines: [lines[0], lines[1][:30]], "anchor file line 2: unreadable"),
    (lambda lines: [lines[0], "{}", lines[1]], "anchor file line 2: unreadable"),
    (lambda lines: [lines[0], lines[0]], "anchor file line 2: not the line the chain recorded"),
])
def test_a_cut_or_edited_anchor_file_names_the_line(anchored, capsys, damage, named):
    _, anchor_file = anchored
    lines = anchor_file.read_text().splitlines()
    anchor_file.write_text("".join(x + "\n" for x in damage(lines)))
    code, text = verify_audit(capsys)
    assert code == 1 and named in text and len(text.splitlines()) == 1, text


def test_an_edited_manifest_anchor_is_named(anchored, capsys):
    layout, _ = anchored
    path = layout.reports / "2026-01-01" / "manifest.json"
    doc = json.loads(path.read_text())
    doc["audit"]["head"] = "f" * 64
    path.write_text(json.dumps(doc))
    code, text = verify_audit(capsys)
    assert code == 1 and "report 2026-01-01 manifest: row 4 differs from the head it remembers" in text


def test_another_audit_key_is_refused_for_appending_and_named_by_verify(data_layout, capsys, monkeypatch):
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        _log(con, 3)
        with audit.configured(key="another-key-of-enough-length", anchor_file=None):
            with pytest.raises(audit.AuditKeyError):
                _log(con, 1, start=5)
            assert "not the key this chain was written with" in audit.verify(con).problem
        assert audit.verify(con).ok and audit.verify(con).rows == 3
    monkeypatch.setenv("O3_AUDIT_KEY", "another-key-of-enough-length")
    code, text = verify_audit(capsys)
    assert code == 1 and "not the key this chain was written with" in text and "another-key" not in text


def test_o3_audit_key_keys_the_chain_from_the_start(data_layout, monkeypatch, capsys):
    with audit.configured(key="the-configured-audit-key", anchor_file=None):
        with warehouse.open_warehouse(data_layout.warehouse) as con:
            _log(con, 2)
            seq, ts, run_id, event, details, prev, stored = con.execute("SELECT * FROM audit_log WHERE seq = 1").fetchone()
            assert audit.keyed_hash(b"the-configured-audit-key", prev, seq, ts, run_id, event, details) == stored
    assert not (data_layout.root / ".secret" / "audit_key").exists()
    monkeypatch.setenv("O3_AUDIT_KEY", "the-configured-audit-key")
    assert verify_audit(capsys)[0] == 0


# ---- an unkeyed chain written before keying

def _legacy_chain(con, layout, n=4):
    """Rows as the version before keying wrote them (plain SHA-256), with its head file."""
    audit.ensure_schema(con)
    prev = audit.GENESIS
    for seq in range(1, n + 1):
        ts = T0 + timedelta(seconds=seq)
        details = json.dumps({"i": seq})
        h = audit.unkeyed_hash(prev, seq, ts, None, "old", details)
        con.execute("INSERT INTO audit_log VALUES (?, ?, NULL, 'old', ?, ?, ?)", [seq, ts, details, prev, h])
        prev = h
    (layout.warehouse.parent / "audit_head.json").write_text(json.dumps({"seq": n, "row_hash": prev}))
    return prev


def test_an_unkeyed_chain_is_keyed_once_and_records_its_old_head(data_layout, capsys):
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        old_head = _legacy_chain(con, data_layout)
        v = audit.verify(con)
        assert v.ok and not v.keyed                    # intact, checked the old way until it is keyed
        _log(con, 1, start=50)                         # the first write keys it
        events = con.execute("SELECT seq, event, details FROM audit_log ORDER BY seq").fetchall()
        assert [e[1] for e in events] == ["old"] * 4 + ["audit_chain_keyed", "event"]
        assert json.loads(events[4][2])["old_rows"] == 4 and json.loads(events[4][2])["old_head"] == old_head
        v = audit.verify(con)
        assert v.ok and v.keyed and v.rows == 6
    marker = json.loads((data_layout.root / ".secret" / "audit_chain.json").read_text())
    assert marker["migrated_from"] == {"rows": 4, "head": old_head}
    code, text = verify_audit(capsys)
    assert code == 0 and "6 rows, keyed" in text
    # Once: re-chaining it the old way later is a rewrite, not a chain to key again.
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        _rechain(con, audit.unkeyed_hash)
        _log(con, 1, start=60)
        assert not audit.verify(con).ok


def test_a_broken_unkeyed_chain_is_not_laundered_by_keying(data_layout):
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        _legacy_chain(con, data_layout)
        con.execute("""UPDATE audit_log SET details = '{"i":99}' WHERE seq = 2""")
        _log(con, 1, start=50)
        assert con.execute("SELECT count(*) FROM audit_log WHERE event = 'audit_chain_keyed'").fetchone()[0] == 0
        v = audit.verify(con)
        assert not v.ok and v.problem == "row 2: contents do not match its hash (edited)"


def test_a_chain_inside_an_open_transaction_is_keyed_at_the_next_write(data_layout):
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        _legacy_chain(con, data_layout)
        con.execute("BEGIN TRANSACTION")
        _log(con, 1, start=50)
        con.execute("COMMIT")
        assert audit.verify(con).ok and not audit.verify(con).keyed
        _log(con, 1, start=60)
        assert audit.verify(con).ok and audit.verify(con).keyed


# ---- the anchors the system writes, and the settings

def test_a_deletion_certificate_carries_the_head(data_layout, tmp_path):
    from support.retention import SIMPLE_POLICY, add_message, write_policy
    from o3_governance.retention import decide, dispose
    from o3_governance.retention.policy import load_policy
    from o3_governance.rights import register

    policy = write_policy(tmp_path / "policy.yaml", SIMPLE_POLICY)
    now = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)
    with warehouse.open_warehouse(data_layout.warehouse) as con:
        add_message(con, "old", day=date(2020, 1, 1))
        list_id = decide.compute(con, load_policy(policy), date(2026, 6, 1), now=now).list_id
    result = dispose.apply_deletion_list(list_id, "DPO", layout=data_layout, policy=load_policy(policy),
                                         as_of=date(2026, 6, 1), clock=lambda: now,
                                         flag_exports=register.record_affected_exports)
    cert = json.loads(result.certificate_path.read_text())
    with warehouse.open_warehouse(data_layout.warehouse, read_only=True) as con:
        (head,) = con.execute("SELECT row_hash FROM audit_log WHERE seq = ?", [cert["audit"]["rows"]]).fetchone()
        assert cert["audit"]["head"] == head
        assert [a.source for a in history.audit_anchors(data_layout.reports)] == [
            f"certificate {result.certificate_path.name}"]
        assert audit.check_anchors(con, history.audit_anchors(data_layout.reports)) is None
    # The register's manifest lists it (what the report server serves), and nothing dropped beside it.
    (result.certificate_path.parent / "deletion-certificate-fake.json").write_text(result.certificate_path.read_text())
    assert history.certificate_manifest(data_layout.reports) == {
        result.certificate_path.name: hashlib.sha256(result.certificate_path.read_bytes()).hexdigest()}
    assert [n for n, _ in history.certificate_files(data_layout.reports)] == [result.certificate_path.name]


def test_audit_settings_are_checked(tmp_path):
    data = tmp_path / "data"
    with pytest.raises(settings.SettingsError, match="at least 16 characters"):
        settings.load({"O3_DATA_DIR": str(data), "O3_AUDIT_KEY": "short"})
    with pytest.raises(settings.SettingsError, match="outside the data folder"):
        settings.load({"O3_DATA_DIR": str(data), "O3_AUDIT_ANCHOR": str(data / "anchor.log")})
    with pytest.raises(settings.SettingsError, match="folder does not exist"):
        settings.load({"O3_DATA_DIR": str(data), "O3_AUDIT_ANCHOR": str(tmp_path / "nowhere" / "anchor.log")})
    conf = settings.load({"O3_DATA_DIR": str(data), "O3_AUDIT_ANCHOR": str(tmp_path / "anchor.log"),
                          "O3_AUDIT_KEY": "x" * 16})
    assert conf.audit_anchor == tmp_path / "anchor.log" and conf.audit_key == "x" * 16
