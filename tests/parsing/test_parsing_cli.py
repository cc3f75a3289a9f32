"""``o3-governance parse PATH``: JSON Lines on stdout, one-line reason and non-zero exit on bad input."""
import json
import subprocess
import sys
from pathlib import Path

from o3_governance.cli import main

FIXTURES = Path(__file__).parent.parent / "fixtures" / "parsing"


def test_parse_prints_one_json_object_per_message(capsys):
    assert main(["parse", str(FIXTURES / "WhatsApp-chat met Werf Leuven.txt")]) == 0
    lines = capsys.readouterr().out.splitlines()
    rows = [json.loads(line) for line in lines]
    assert len(rows) == 11
    assert rows[0] == {"sent_at": "2024-03-12T09:00:00", "author": None, "message_type": "system",
                       "body": rows[0]["body"], "attachment": None, "edited": False, "author_phone": None,
                       "chat_name": "Werf Leuven"}
    assert rows[6]["attachment"] == "IMG-20240312-WA0001.jpg" and rows[6]["message_type"] == "media"
    assert rows[9]["edited"] is True and rows[4]["author_phone"] == "+32471556677"


def test_parse_cloud_api_capture(capsys):
    assert main(["parse", str(FIXTURES / "webhook_capture.jsonl")]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["chat_name"] for r in rows] == ["Ann Peeters", "Ann Peeters", "+32486112233"]


def test_console_script_refuses_a_non_export(tmp_path):
    bad = tmp_path / "Ann Peeters notities.txt"
    bad.write_text("Ann Peeters: boodschappen\nmelk\n" * 40, encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "o3_governance.cli", "parse", str(bad)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode != 0 and proc.stdout == ""
    err = proc.stderr.strip()
    assert len(err.splitlines()) == 1 and "not a WhatsApp export" in err
    assert "Ann" not in err and "melk" not in err


def test_console_script_on_a_missing_file(tmp_path, capsys):
    assert main(["parse", str(tmp_path / "nothing.txt")]) != 0
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


# --- issue 11: every chat of a container, salvaged records on stderr -----------------------------------

def test_parse_prints_every_chat_of_a_zip(tmp_path, capsys):
    import zipfile
    path = tmp_path / "exports.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("WhatsApp Chat with Jana Voorbeeld.txt", "12/03/2024, 09:00 - Jana Voorbeeld: a\n")
        zf.writestr("WhatsApp Chat with Piet Fictief.txt", "12/03/2024, 09:01 - Piet Fictief: b\n")
    assert main(["parse", str(path)]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["chat_name"], r["body"]) for r in rows] == [("Jana Voorbeeld", "a"), ("Piet Fictief", "b")]


def test_parse_reports_rejected_records_on_stderr(tmp_path, capsys):
    path = tmp_path / "WhatsApp Chat with Werf.txt"
    path.write_text("31/02/2024, 09:00 - Jana Voorbeeld: geheim\n01/03/2024, 09:00 - Jana Voorbeeld: ok\n",
                    encoding="utf-8")
    assert main(["parse", str(path)]) == 0
    captured = capsys.readouterr()
    assert [json.loads(line)["body"] for line in captured.out.splitlines()] == ["ok"]
    assert captured.err.splitlines() == ["line 1: date does not exist"]
    assert "geheim" not in captured.err and "Jana" not in captured.err


def test_parse_rejected_lines_name_the_chat_by_number(tmp_path, capsys):
    folder = tmp_path / "exports"
    folder.mkdir()
    (folder / "WhatsApp Chat with A.txt").write_text("12/03/2024, 09:00 - A: a\n", encoding="utf-8")
    (folder / "WhatsApp Chat with B.txt").write_text("kop\n12/03/2024, 09:00 - B: b\n", encoding="utf-8")
    (folder / "IMG-1.jpg").write_bytes(b"x")
    assert main(["parse", str(folder)]) == 0
    assert capsys.readouterr().err.splitlines() == ["chat 2, line 1: text before the first message header"]


def test_parse_with_nothing_readable_exits_non_zero(tmp_path, capsys):
    path = tmp_path / "capture.jsonl"
    good = {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": {"messages": [
        {"from": "32470000001", "id": "w1", "timestamp": "gisteren", "type": "text", "text": {"body": "x"}}]}}]}]}
    path.write_text(json.dumps(good) + "\n{broken\n", encoding="utf-8")
    assert main(["parse", str(path)]) == 1
    err = capsys.readouterr().err.splitlines()
    assert err == ["line 1: bad timestamp", "line 2: malformed JSON", "o3-governance parse: no message could be read"]


def test_parse_statuses_only_capture_is_success(tmp_path, capsys):
    path = tmp_path / "capture.json"
    path.write_text(json.dumps({"object": "whatsapp_business_account", "entry": [{"changes": [{"value": {
        "statuses": [{"id": "w0", "status": "read"}]}}]}]}), encoding="utf-8")
    assert main(["parse", str(path)]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""
