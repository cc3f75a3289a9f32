"""Child process of the crash tests: runs an ``o3-governance`` command and kills itself with SIGKILL
the first time a chosen function is called. The hook lives here, monkeypatched into the child only:
nothing of it is in the project's code or settings.

    python tests/support/crash_child.py <module.function | none> <o3-governance arguments...>
"""
import importlib
import os
import signal
import sys

from o3_governance import cli


def main() -> int:
    target, argv = sys.argv[1], sys.argv[2:]
    if target != "none":
        module_name, name = target.rsplit(".", 1)
        module = importlib.import_module(module_name)

        def die(*_args, **_kwargs):
            os.kill(os.getpid(), signal.SIGKILL)

        setattr(module, name, die)
    return cli.main(argv)


if __name__ == "__main__":
    sys.exit(main())
