"""CPU time used by each part of the stack (whole process groups, so Triton's Python
stub counts with Triton), read from /proc: the per-image cost that sizes pods."""

import os
from pathlib import Path

_TICKS_PER_S = os.sysconf("SC_CLK_TCK")


def group_cpu_s(pgid: int) -> float:
    """User + system CPU seconds of every live process in process group ``pgid``."""
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended while we looked
        # After "pid (comm)": state ppid pgrp ... utime is field 14, stime 15 (1-based, man 5 proc).
        if int(fields[2]) == pgid:
            total += (int(fields[11]) + int(fields[12])) / _TICKS_PER_S
    return total


def stack_cpu_s(stack) -> dict[str, float]:
    """CPU seconds so far of Triton and each service of a running ``Stack`` (and of the
    Azure stand-ins, Azurite and the Cosmos DB server, when it runs on them)."""
    parts = {"triton": stack.triton.process.process.pid} | {
        name: process.process.pid for name, process in stack.services.items()}
    for name, standin in (("azurite", stack.azurite), ("cosmos", stack.cosmos)):
        if standin is not None and standin.process is not None:
            parts[name] = standin.process.process.pid
    return {name: group_cpu_s(pid) for name, pid in parts.items()}
