"""Backups that keep erasures erased: backup → erasure → restore leaves no byte of the person; old
backups expire; a changed snapshot, a wrong key, a changed ledger and a non-empty target are refused."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from o3_governance import backup, cli
from o3_governance.storage import keyfiles, ledger as ledgers, sealing, stores, warehouse
from o3_governance.storage.layout import DataLayout
from support.rights import PHONE_SPELLINGS, SUBJECT_EMAIL, build_warehouse

NEEDLES = ["Jan Peeters", "Peeters", SUBJECT_EMAIL, *PHONE_SPELLINGS[:6]]
T0 = datetime(2026, 11, 20, 3, 0, tzinfo=timezone.utc)


@pytest.fixture
def backup_env(tmp_path, monkeypatch) -> dict[str, Path]:
    """The backup key and the ledger folder, outside the data folder, set as the shell would."""
    keys = tmp_path / "keys"
    keys.mkdir()
    key = keys / "backup.key"
    assert cli.main(["backup-key", "--out", str(key)]) == 0
    monkeypatch.setenv("O3_BACKUP_KEY_FILE", str(key))
    monkeypatch.setenv("O3_LEDGER_DIR", str(tmp_path / "ledger"))
    return {"key": key, "ledger": tmp_path / "ledger", "backups": tmp_path / "backups"}


def _ledger(env) -> ledgers.Ledger:
    return ledgers.Ledger(env["ledger"], keyfiles.read_key_file(env["key"]))


def _audit_events(layout: DataLayout) -> list[tuple[str, dict]]:
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        return [(e, json.loads(d)) for e, d in con.execute("SELECT event, details FROM audit_log ORDER BY seq").fetchall()]


def _no_holds(tmp_path, monkeypatch) -> None:
    policy = tmp_path / "policy.yaml"   # the default policy holds one of the chats: here nothing is held
    policy.write_text("rules:\n  - name: default\n    retain_days: 730\n    action: delete\n", encoding="utf-8")
    monkeypatch.setenv("O3_POLICY_FILE", str(policy))


def test_backup_erasure_restore_leaves_no_byte_of_the_erased_person(
        data_layout, tmp_path, monkeypatch, dagster_home, backup_env, capsys):
    _no_holds(tmp_path, monkeypatch)
    build_warehouse(data_layout, tmp_path, monkeypatch)
    assert stores.find_bytes([data_layout.root], NEEDLES)    # the person is in the data the backup takes
    assert cli.main(["backup", "--to", str(backup_env["backups"])]) == 0
    [snapshot] = [p for p in backup_env["backups"].iterdir()]
    # the snapshot is sealed: no name, phone or file name of the person in its bytes or names
    assert stores.find_bytes([snapshot], NEEDLES) == []
    assert "backup_written" in [e for e, _ in _audit_events(data_layout)]

    assert cli.main(["request", "erasure", "--request-id", "E-1", "--subject-phone", "+32 471 23 45 67",
                     "--subject-name", "Jan Peeters"]) == 0
    ledger_lines = (backup_env["ledger"] / ledgers.LEDGER_FILE).read_text().splitlines()
    assert len(ledger_lines) == 1
    for needle in NEEDLES:                     # the ledger's requests are sealed too
        assert needle not in ledger_lines[0]
    capsys.readouterr()
    assert stores.find_bytes([data_layout.root], NEEDLES) == []   # the erasure itself left nothing

    restored = tmp_path / "restored"
    monkeypatch.setenv("O3_DATA_DIR", str(restored))
    assert cli.main(["restore", "--from", str(backup_env["backups"])]) == 0
    out = capsys.readouterr().out
    assert "1 later purge(s) re-applied" in out
    assert stores.find_bytes([restored], NEEDLES) == []
    layout = DataLayout(restored)
    with warehouse.open_warehouse(layout.warehouse, read_only=True) as con:
        left = con.execute("SELECT count(*) FROM messages").fetchone()[0]
        assert con.execute("SELECT count(*) FROM messages WHERE body LIKE '%Wie heeft de sleutel%'").fetchone()[0] == 1
    assert left > 0                            # the others' messages came back
    events = _audit_events(layout)
    assert events[-1][0] == "backup_restored" and events[-1][1]["purges_replayed"] == 1
    assert any(d.get("replayed_after_restore") for _, d in events)
    assert not [p for p in tmp_path.iterdir() if ".restoring-" in p.name]   # no staging folder left
    assert cli.main(["verify-audit"]) == 0


def test_without_the_ledger_replay_the_restored_copy_would_hold_the_person(
        data_layout, tmp_path, monkeypatch, dagster_home, backup_env):
    """The control of the test above: the same snapshot holds him; only the replay removes him."""
    build_warehouse(data_layout, tmp_path, monkeypatch)
    assert cli.main(["backup", "--to", str(backup_env["backups"])]) == 0
    restored = tmp_path / "restored"
    backup.restore_backup(backup_env["backups"], restored, ledger=_ledger(backup_env), now=T0)
    assert stores.find_bytes([restored], NEEDLES)


def test_old_backups_expire_and_foreign_folders_stay(data_layout, tmp_path, monkeypatch, backup_env):
    build_warehouse(data_layout, tmp_path, monkeypatch, with_bxl=False)
    dest = backup_env["backups"]
    (dest / "notes").mkdir(parents=True)
    first = backup.write_backup(data_layout, dest, ledger=_ledger(backup_env), policy_file=None, now=T0,
                                retention_days=35)
    second = backup.write_backup(data_layout, dest, ledger=_ledger(backup_env), policy_file=None,
                                 now=T0 + timedelta(days=20), retention_days=35)
    assert second.expired == [] and first.folder.exists()
    third = backup.write_backup(data_layout, dest, ledger=_ledger(backup_env), policy_file=None,
                                now=T0 + timedelta(days=36), retention_days=35)
    assert third.expired == [first.snapshot_id]
    assert not first.folder.exists() and second.folder.exists() and third.folder.exists()
    assert (dest / "notes").is_dir()


def test_backup_retention_days_comes_from_the_environment(data_layout, tmp_path, monkeypatch, backup_env, capsys):
    build_warehouse(data_layout, tmp_path, monkeypatch, with_bxl=False)
    old = backup.write_backup(data_layout, backup_env["backups"], ledger=_ledger(backup_env), policy_file=None,
                              now=datetime.now(timezone.utc) - timedelta(days=3), retention_days=35)
    monkeypatch.setenv("O3_BACKUP_RETENTION_DAYS", "2")
    assert cli.main(["backup", "--to", str(backup_env["backups"])]) == 0
    assert "1 backup(s) removed" in capsys.readouterr().out
    assert not old.folder.exists()


def _one_backup(layout, tmp_path, monkeypatch, env) -> Path:
    build_warehouse(layout, tmp_path, monkeypatch, with_bxl=False)
    return backup.write_backup(layout, env["backups"], ledger=_ledger(env), policy_file=None, now=T0,
                               retention_days=35).folder


def test_a_changed_blob_is_refused_and_nothing_is_restored(data_layout, tmp_path, monkeypatch, backup_env):
    folder = _one_backup(data_layout, tmp_path, monkeypatch, backup_env)
    blob = sorted((folder / "blobs").iterdir())[0]
    data = bytearray(blob.read_bytes())
    data[-5] ^= 0x01
    blob.write_bytes(bytes(data))
    target = tmp_path / "restored"
    with pytest.raises(backup.BackupError, match="was changed"):
        backup.restore_backup(folder, target, ledger=_ledger(backup_env), now=T0)
    assert not target.exists()


def test_a_changed_blob_with_matching_sums_fails_its_integrity_check(data_layout, tmp_path, monkeypatch, backup_env):
    folder = _one_backup(data_layout, tmp_path, monkeypatch, backup_env)
    blob = sorted((folder / "blobs").iterdir())[0]
    data = bytearray(blob.read_bytes())
    data[-5] ^= 0x01
    blob.write_bytes(bytes(data))
    sums = "".join(f"{hashlib.sha256((folder / n).read_bytes()).hexdigest()}  {n}\n" for n in
                   sorted([f"blobs/{p.name}" for p in (folder / 'blobs').iterdir()] + ["manifest.sealed"]))
    (folder / "SHA256SUMS").write_text(sums)
    meta = json.loads((folder / "snapshot.json").read_text())
    meta["sums_sha256"] = hashlib.sha256(sums.encode()).hexdigest()
    (folder / "snapshot.json").write_text(json.dumps(meta))
    target = tmp_path / "restored"
    with pytest.raises(backup.BackupError, match="fails its integrity check"):
        backup.restore_backup(folder, target, ledger=_ledger(backup_env), now=T0)
    assert not target.exists() and not [p for p in tmp_path.iterdir() if ".restoring-" in p.name]


def test_a_removed_blob_is_refused(data_layout, tmp_path, monkeypatch, backup_env):
    folder = _one_backup(data_layout, tmp_path, monkeypatch, backup_env)
    sorted((folder / "blobs").iterdir())[-1].unlink()
    with pytest.raises(backup.BackupError, match="added or removed"):
        backup.restore_backup(folder, tmp_path / "restored", ledger=_ledger(backup_env), now=T0)


def test_another_key_is_refused(data_layout, tmp_path, monkeypatch, backup_env):
    folder = _one_backup(data_layout, tmp_path, monkeypatch, backup_env)
    other = tmp_path / "keys" / "other.key"
    keyfiles.create_key_file(other)
    with pytest.raises(backup.BackupError, match="does not open with this backup key"):
        backup.restore_backup(folder, tmp_path / "restored", now=T0,
                              ledger=ledgers.Ledger(backup_env["ledger"], keyfiles.read_key_file(other)))


def test_restore_into_a_folder_that_is_not_empty_is_refused(data_layout, tmp_path, monkeypatch, backup_env, capsys):
    folder = _one_backup(data_layout, tmp_path, monkeypatch, backup_env)
    target = tmp_path / "busy"
    target.mkdir()
    (target / "something").write_text("x")
    monkeypatch.setenv("O3_DATA_DIR", str(target))
    assert cli.main(["restore", "--from", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "not an empty folder" in err and len(err.strip().splitlines()) == 1
    assert sorted(p.name for p in target.iterdir()) == ["something"]


def test_a_ledger_changed_before_the_snapshot_is_refused(data_layout, tmp_path, monkeypatch, backup_env):
    build_warehouse(data_layout, tmp_path, monkeypatch, with_bxl=False)
    ledger = _ledger(backup_env)
    with ledgers.configured(ledger):
        ledgers.record(purge_id="p1", at=T0, event="test", tombstones=[], request={"delete_ids": [],
                                                                                  "updates": {}, "new_findings": {}})
    folder = backup.write_backup(data_layout, backup_env["backups"], ledger=ledger, policy_file=None, now=T0,
                                 retention_days=35).folder
    ledger.path.write_text(ledger.path.read_text().replace("p1", "p2"))
    with pytest.raises(ledgers.LedgerError, match="changed before the snapshot"):
        backup.restore_backup(folder, tmp_path / "restored", ledger=ledger, now=T0)


def test_backup_and_restore_refuse_without_a_ledger(data_layout, tmp_path, monkeypatch, capsys):
    build_warehouse(data_layout, tmp_path, monkeypatch, with_bxl=False)
    assert cli.main(["backup", "--to", str(tmp_path / "backups")]) == 2
    err = capsys.readouterr().err
    assert "needs O3_LEDGER_DIR" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "backups").exists()
    monkeypatch.setenv("O3_DATA_DIR", str(tmp_path / "empty"))
    assert cli.main(["restore", "--from", str(tmp_path / "backups")]) == 2


def test_a_backup_inside_the_data_folder_is_refused(data_layout, tmp_path, monkeypatch, backup_env):
    build_warehouse(data_layout, tmp_path, monkeypatch, with_bxl=False)
    with pytest.raises(backup.BackupError, match="outside the data folder"):
        backup.write_backup(data_layout, data_layout.root / "backups", ledger=_ledger(backup_env),
                            policy_file=None, now=T0, retention_days=35)


def test_the_policy_travels_with_the_snapshot(data_layout, tmp_path, monkeypatch, backup_env):
    build_warehouse(data_layout, tmp_path, monkeypatch, with_bxl=False)
    policy = tmp_path / "policy.yaml"
    policy.write_text("rules:\n  - name: default\n    retain_days: 730\n    action: delete\n")
    folder = backup.write_backup(data_layout, backup_env["backups"], ledger=_ledger(backup_env), policy_file=policy,
                                 now=T0, retention_days=35).folder
    out = tmp_path / "policy-restored.yaml"
    result = backup.restore_backup(folder, tmp_path / "restored", ledger=_ledger(backup_env), now=T0, policy_to=out)
    assert result.policy_written == out and out.read_bytes() == policy.read_bytes()


def test_the_backup_key_is_never_replaced_and_must_lie_outside_the_data_folder(data_layout, tmp_path, capsys):
    key = tmp_path / "k"
    assert cli.main(["backup-key", "--out", str(key)]) == 0
    before = key.read_bytes()
    assert key.stat().st_mode & 0o777 == 0o600
    assert cli.main(["backup-key", "--out", str(key)]) == 2
    assert key.read_bytes() == before
    assert cli.main(["backup-key", "--out", str(data_layout.root / "k")]) == 2
    assert "outside the data folder" in capsys.readouterr().err


def test_sealing_refuses_a_cut_or_reordered_file(monkeypatch):
    monkeypatch.setattr(sealing, "CHUNK", 16)
    key = bytes(range(32))
    data = bytes(range(100))
    sealed = sealing.seal_bytes(key, "x", data)
    assert sealing.open_bytes(key, "x", sealed) == data
    with pytest.raises(sealing.SealError):
        sealing.open_bytes(key, "y", sealed)            # another place: refused
    head = len(sealing.MAGIC) + 8
    chunks, pos = [], head
    while pos < len(sealed):
        n = int.from_bytes(sealed[pos:pos + 4], "big")
        chunks.append(sealed[pos:pos + 4 + n])
        pos += 4 + n
    with pytest.raises(sealing.SealError):
        sealing.open_bytes(key, "x", sealed[:head] + b"".join(chunks[:-1]))   # the last chunk cut off
    with pytest.raises(sealing.SealError):
        sealing.open_bytes(key, "x", sealed[:head] + chunks[1] + chunks[0] + b"".join(chunks[2:]))


@pytest.mark.parametrize("env, fragment", [
    ({"O3_LEDGER_DIR": "{data}/ledger", "O3_BACKUP_KEY_FILE": "{tmp}/k"}, "O3_LEDGER_DIR="),
    ({"O3_LEDGER_DIR": "{tmp}/ledger"}, "without O3_BACKUP_KEY_FILE"),
    ({"O3_LEDGER_DIR": "{tmp}/ledger", "O3_BACKUP_KEY_FILE": "{data}/.secret/k"}, "O3_BACKUP_KEY_FILE="),
    ({"O3_BACKUP_RETENTION_DAYS": "0"}, "O3_BACKUP_RETENTION_DAYS"),
])
def test_bad_backup_settings_are_refused_in_one_line(data_layout, tmp_path, monkeypatch, capsys, env, fragment):
    for name, value in env.items():
        monkeypatch.setenv(name, value.format(data=data_layout.root, tmp=tmp_path))
    assert cli.main(["backup", "--to", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert fragment in err and len(err.strip().splitlines()) == 1


def test_a_missing_key_file_is_one_line(data_layout, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("O3_LEDGER_DIR", str(tmp_path / "ledger"))
    monkeypatch.setenv("O3_BACKUP_KEY_FILE", str(tmp_path / "nokey"))
    assert cli.main(["backup", "--to", str(tmp_path / "b")]) == 2
    err = capsys.readouterr().err
    assert "no key file" in err and len(err.strip().splitlines()) == 1
