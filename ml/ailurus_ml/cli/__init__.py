"""``ailurus``: the data scientist's command line (``--json`` on every command for scripts)."""

import argparse
import os
import sys

from ailurus_common.errors import AilurusError
from ailurus_ml.cli import datasets, jobs, models, train
from ailurus_ml.cli.output import EXIT_CODES_HELP, report_error
from ailurus_ml.errors import MlError

GROUPS = (datasets, train, models, jobs)
INTERRUPTED_EXIT = 130  # the shell's convention for Ctrl-C
BROKEN_PIPE_EXIT = 141  # 128 + SIGPIPE, as a shell reports a process killed by it


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ailurus", description=__doc__, epilog=EXIT_CODES_HELP,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.set_defaults(json=False)  # every command that prints offers --json; errors follow it
    commands = parser.add_subparsers(dest="group", required=True)
    for group in GROUPS:
        group.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except (MlError, AilurusError) as exc:
        # The user's mistake (a path, a name, a label map) or the store's state: a clear
        # message, never a traceback. AilurusError: the blob store (unreachable, full).
        return report_error(exc, as_json=args.json)
    except KeyboardInterrupt:
        sys.stderr.write("ailurus: interrupted\n")
        return INTERRUPTED_EXIT
    except BrokenPipeError:
        # The reader went away (`ailurus ... | head`): stop quietly; stdout is pointed at
        # /dev/null so the interpreter's final flush does not raise a second time.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return BROKEN_PIPE_EXIT


if __name__ == "__main__":
    sys.exit(main())
