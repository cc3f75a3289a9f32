"""Command-line subcommands of this domain, registered on the ``o3-governance`` parser."""
from __future__ import annotations

import json
import os
import sys

from o3_governance.parsing.archive import open_archive
from o3_governance.parsing.model import NotAnExport


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "parse", help="print one exported chat (.txt/.zip) or webhook capture as JSON Lines",
        description="One JSON object a message on stdout: sent_at (local time as written), author, "
                    "message_type, body, attachment, edited, author_phone, chat_name.")
    p.add_argument("path", metavar="PATH")
    p.set_defaults(handler=run_parse)


def run_parse(args) -> int:
    out = sys.stdout
    dumps = json.dumps
    try:
        with open_archive(args.path) as export:
            for m in export.messages:
                out.write(dumps({
                    "sent_at": m.sent_local.isoformat(),
                    "author": m.author,
                    "message_type": m.message_type,
                    "body": m.body,
                    "attachment": m.attachment,
                    "edited": m.edited,
                    "author_phone": m.author_phone,
                    "chat_name": m.chat_name or export.chat_name,
                }, ensure_ascii=False))
                out.write("\n")
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
    return 0
