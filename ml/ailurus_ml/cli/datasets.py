"""``ailurus datasets ...`` (filled in by the datasets work)."""

import argparse


def register(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    parser = commands.add_parser("datasets", help="import, list and show dataset snapshots")
    parser.set_defaults(run=lambda args: parser.print_help())
