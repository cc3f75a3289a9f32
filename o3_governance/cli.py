"""``o3-governance``: the command line. Each domain registers its own subcommands."""
from __future__ import annotations

import argparse
import sys

from o3_governance import ingest_cli
from o3_governance.parsing import cli as parsing_cli
from o3_governance.reporting import cli as reporting_cli
from o3_governance.retention import cli as retention_cli
from o3_governance.rights import cli as rights_cli
from o3_governance.scanning import cli as scanning_cli

DOMAINS = (parsing_cli, ingest_cli, scanning_cli, retention_cli, rights_cli, reporting_cli)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="o3-governance", description="WhatsApp data governance for O3 Group BV.")
    sub = parser.add_subparsers(dest="command", required=True)
    for domain in DOMAINS:
        domain.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # one line, no traceback, no content: exception texts here are our own
        print(f"o3-governance {args.command}: {type(exc).__name__}: {exc}".splitlines()[0], file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
