"""The machine a benchmark ran on: its CPU and how busy it was (printed with every figure)."""

from __future__ import annotations

import os
import platform


def cpu_name() -> str:
    """Return the CPU's model name (from /proc/cpuinfo on Linux), or what the platform says."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def describe() -> str:
    """Return one line: CPUs, model and the load average now (a busy machine's figure is no result)."""
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return f"{os.cpu_count()} CPUs, {cpu_name()}; load average {load} (1, 5, 15 min)"
