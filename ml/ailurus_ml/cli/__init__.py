"""``ailurus``: the data scientist's command line (``--json`` on every command for scripts)."""

import argparse
import sys

from ailurus_ml.cli import datasets, models

GROUPS = (datasets, models)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="ailurus", description=__doc__)
    commands = parser.add_subparsers(dest="group", required=True)
    for group in GROUPS:
        group.register(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.run(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
