"""Command-line subcommands of this domain, registered on the ``o3-governance`` parser."""


def register(subparsers) -> None:
    return None
