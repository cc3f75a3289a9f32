"""Run our parser over the peer fixtures (exports from other open-source parsers' test data) and check
the facts their README states. Prints counts and dates per file, never message text.

    python tools/check_peer_fixtures.py [PEER_FIXTURES_DIR]     (default: ../shared/peer-fixtures)

Exit status 0 when every stated fact holds, 1 otherwise.
"""
from __future__ import annotations

import json
import sys
import zipfile
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from o3_governance.parsing import NotAnExport, open_archive  # noqa: E402

failures: list[str] = []
passes = 0


def check(ok: bool, what: str) -> None:
    global passes
    if ok:
        passes += 1
        print(f"  ok    {what}")
    else:
        failures.append(what)
        print(f"  FAIL  {what}")


def parse(path: Path):
    with open_archive(path) as export:
        messages = list(export.messages)
        scan = getattr(export, "scan", None)
        return export, messages, scan


def summary(base: Path, path: Path) -> None:
    rel = path.relative_to(base)
    try:
        export, msgs, scan = parse(path)
    except NotAnExport as exc:
        print(f"{rel}: not an export ({exc})")
        return
    system = sum(m.message_type == "system" for m in msgs)
    first = msgs[0].sent_local.isoformat() if msgs else "-"
    last = msgs[-1].sent_local.isoformat() if msgs else "-"
    order = f"{scan.order} ({scan.order_decided_by})" if scan else "-"
    print(f"{rel}: {len(msgs)} messages, {system} system, {first} .. {last}, order {order}, "
          f"{export.source_format}, language {export.export_language}, {len(export.media)} media members")


def users(msgs):
    return [m for m in msgs if m.message_type != "system"]


def check_chat_miner(base: Path) -> None:
    d = base / "chat-miner/test/whatsapp"
    files = sorted(d.glob("test_*.txt"))
    print(f"chat-miner ({len(files)} files)")
    check(len(files) == 5, "chat-miner: five test_*.txt files")
    target = json.loads((d / "target.json").read_text(encoding="utf-8"))
    want = sorted((t["timestamp"], t["author"], t["message"]) for t in target)
    seen = []
    for f in files:
        _, msgs, _ = parse(f)
        u = [m for m in msgs if m.author is not None and m.message_type == "text"]
        check(len(msgs) == 9 and len(u) == 6, f"chat-miner {f.name}: 9 header lines, 6 user messages")
        got = sorted((m.sent_local.isoformat(), m.author, m.body.replace("\n", " ")) for m in u)
        check(got == want, f"chat-miner {f.name}: user messages equal target.json (dates, authors, text)")
        two = [m for m in msgs if m.sent_local == datetime(2019, 1, 30, 20, 49) and m.author == "Jahn Doe"]
        check(len(two) == 1 and two[0].body.count("\n") == 1,
              f"chat-miner {f.name}: 2019-01-30 20:49 Jahn Doe is a two-line message")
        seen.append([(m.sent_local, m.author, m.message_type, m.body) for m in msgs])
    check(all(s == seen[0] for s in seen), "chat-miner: the five files parse to the same messages")


def check_chat_analytics(base: Path) -> None:
    d = base / "chat-analytics/tests/samples/whatsapp"
    print("chat-analytics")
    for name in ("4A_11M.txt", "4A_11M.zip"):
        _, msgs, _ = parse(d / name)
        u = users(msgs)
        check(len(u) == 11 and {m.author for m in u} == {"Alice", "Bob", "Eve", "Mallory", "Trent"},
              f"chat-analytics {name}: 11 user messages from Alice, Bob, Eve, Mallory, Trent")
        check(sum(m.message_type == "system" for m in msgs) == 3, f"chat-analytics {name}: 3 system lines")
        check(msgs[0].sent_local.date().isoformat() == "2020-09-12", f"chat-analytics {name}: 12/9/20 is 2020-09-12")
    with zipfile.ZipFile(d / "4A_11M.zip") as zf:
        crlf = b"\r\n" in zf.read(zf.namelist()[0])
    check(crlf, "chat-analytics 4A_11M.zip: the zipped text uses CRLF")
    _, msgs, _ = parse(d / "2A_5M.txt")
    back = sum(b.sent_local < a.sent_local for a, b in zip(msgs, msgs[1:]))
    check(len(msgs) == 5 and back == 1, "chat-analytics 2A_5M.txt: 5 messages, one out of time order")


def check_whatsapp_chat_parser(base: Path) -> None:
    d = next((base / "whatsapp-chat-parser").glob("*/samples"))
    print("whatsapp-chat-parser")
    _, msgs, _ = parse(d / "short-chat.txt")
    check(len(msgs) == 5 and sum(m.message_type == "system" for m in msgs) == 2,
          "whatsapp-chat-parser short-chat.txt: 5 messages, 2 system")
    check("\n\n" in msgs[-1].body, "whatsapp-chat-parser short-chat.txt: last message is multi-line with an empty line")
    try:
        parse(d / "empty.txt")
        check(False, "whatsapp-chat-parser empty.txt: refused as not an export")
    except NotAnExport:
        check(True, "whatsapp-chat-parser empty.txt: refused as not an export")


def check_port(base: Path) -> None:
    d = base / "port-whatsapp-datadonation/data_extractor/tests/data"
    files = sorted(d.glob("_chat*.txt")) + [d / "whatsapp_chat.zip"]
    print(f"port-whatsapp-datadonation ({len(files) - 1} text renderings and a zip)")
    check(len(files) == 8, "port-whatsapp-datadonation: 7 text renderings and whatsapp_chat.zip")
    shapes = []
    for f in files:
        export, msgs, _ = parse(f)
        check(len(msgs) == 10 and sum(m.message_type == "system" for m in msgs) == 1,
              f"port {f.name}: 10 messages, 1 system")
        p4 = [m for m in msgs if m.author == "person4"]
        last = msgs[-1]
        want = datetime(2020, 7, 14, 22, 5, 54)
        ok_time = last.sent_local == want or (last.sent_local.second == 0 and last.sent_local == want.replace(second=0))
        check(bool(p4) and last.author == "person4" and ok_time and min(m.sent_local for m in p4) == last.sent_local,
              f"port {f.name}: person4's first message is 2020-07-14 22:05(:54), the file's last line")
        shapes.append([(m.sent_local.replace(second=0), m.author, m.message_type) for m in msgs])
        if f.suffix == ".zip":
            with zipfile.ZipFile(f) as zf:
                has_mac = any(n.startswith("__MACOSX/") for n in zf.namelist())
            check(has_mac and not export.media, f"port {f.name}: __MACOSX/ entries present and ignored")
    check(all(s == shapes[0] for s in shapes), "port: all renderings give the same dates, authors and types")


def check_whats_json(base: Path) -> None:
    d = base / "whats_json/test/data"
    print("whats_json")
    for name, n in (("english_ios.txt", 23), ("french_ios.txt", 23), ("english_ios_media.txt", 25)):
        _, msgs, _ = parse(d / "languages" / name)
        check(len(msgs) == n, f"whats_json {name}: {n} messages incl. system")
    for name in ("english_android.txt", "english_android_media.txt"):
        _, msgs, _ = parse(d / "languages" / name)
        check(len(msgs) == 60, f"whats_json {name}: 60 messages incl. system")
    _, msgs, scan = parse(d / "languages/french_ios.txt")
    check(scan.order == "mdy" and msgs[0].sent_local == datetime(2022, 3, 18, 14, 56),
          "whats_json french_ios.txt: month-first ([3/18/22 ...] is 2022-03-18)")
    for path in (d / "languages/deutch_android_media.txt", d / "chats_unique/WhatsApp-chat met Dmitry S.txt"):
        export, msgs, _ = parse(path)
        captioned = [m for m in msgs if m.message_type == "media" and m.body.startswith("<Media weggelaten>\n")]
        check(len(msgs) == 41 and export.source_format == "android" and export.export_language == "nl",
              f"whats_json {path.name}: Dutch Android, 41 messages")
        check(bool(captioned) and all(m.attachment is None for m in captioned),
              f"whats_json {path.name}: <Media weggelaten> with the caption on the next line stays one media message")


def main(argv: list[str]) -> int:
    base = Path(argv[1]) if len(argv) > 1 else ROOT.parent / "shared" / "peer-fixtures"
    if not base.is_dir():
        print(f"no peer fixtures at {base}", file=sys.stderr)
        return 2
    print(f"== files under {base}")
    for path in sorted(p for p in base.rglob("*") if p.is_file() and p.suffix.lower() in (".txt", ".zip")):
        summary(base, path)
    print("== stated facts")
    for fn in (check_chat_miner, check_chat_analytics, check_whatsapp_chat_parser, check_port, check_whats_json):
        try:
            fn(base)
        except Exception as exc:  # noqa: BLE001 - a crash on one source is a failed fact, the rest still runs
            check(False, f"{fn.__name__}: crashed ({type(exc).__name__})")
    print(f"== {passes} facts hold, {len(failures)} fail")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
