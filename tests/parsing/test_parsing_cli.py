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
