"""Command-line subcommands of this domain, registered on the ``o3-governance`` parser."""
from __future__ import annotations

import json
import os
import sys


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "parse", help="print every chat of an export (.txt/.zip/folder) or webhook capture as JSON Lines",
        description="One JSON object a message on stdout: sent_at (local time as written), author, "
                    "message_type, body, attachment, edited, author_phone, chat_name. Records that could not "
                    "be read go to stderr, one line each (\"line N: reason\"). Exit 0 when a message was read "
                    "(or the file holds none and nothing was rejected).")
    p.add_argument("path", metavar="PATH")
    p.set_defaults(handler=run_parse)


def _row(m, chat_name: str) -> dict:
    return {
        "sent_at": m.sent_local.isoformat(),
        "author": m.author,
        "message_type": m.message_type,
        "body": m.body,
        "attachment": m.attachment,
        "edited": m.edited,
        "author_phone": m.author_phone,
        "chat_name": m.chat_name or chat_name,
    }


def run_parse(args) -> int:
    from o3_governance.parsing.archive import open_container
    from o3_governance.parsing.model import NotAnExport
    out = sys.stdout
    dumps = json.dumps
    read = rejected = 0
    try:
        with open_container(args.path) as container:
            several = len(container.chats) > 1
            for k, chat in enumerate(container.chats, 1):
                for m in chat.messages:
                    out.write(dumps(_row(m, chat.chat_name), ensure_ascii=False))
                    out.write("\n")
                    read += 1
                out.flush()
                for r in chat.rejected:
                    # Line numbers and reasons only: never the record's content.
                    where = f"chat {k}, line {r.line_no}" if several else f"line {r.line_no}"
                    print(f"{where}: {r.reason}", file=sys.stderr)
                    rejected += 1
    except NotAnExport as exc:
        out.flush()
        reason = (str(exc).splitlines() or ["not a WhatsApp export"])[0]
        print(f"o3-governance parse: {reason}", file=sys.stderr)
        return 2
    except FileNotFoundError:
        print("o3-governance parse: no such file", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader (e.g. `| head`) stopped early: not an error of ours.
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        return 0
    out.flush()
    if read == 0 and rejected:
        print("o3-governance parse: no message could be read", file=sys.stderr)
        return 1
    return 0
