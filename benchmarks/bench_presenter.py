"""Time the classroom view's start: from `make present` to the first demo drawn in Chromium.

    python benchmarks/bench_presenter.py            # 5 starts
    python benchmarks/bench_presenter.py --starts 10

Each start runs the Makefile's own `present` recipe (Voilà on 127.0.0.1, from a temporary copy
of the course, as tests/test_browser.py does), opens the page in headless Chromium (Debian's) and
waits until the kernel explorer's filtered image is decoded in the page: the moment a teacher
sees the first demo. Voilà draws each demo as soon as its cell has run, so this is the server's
start, the kernel's start, the imports and the first demo's cell. It prints the median and the
slowest start, with the CPU and the load average when the run began: a figure from a busy machine
is not the idle figure, and says so.

matplotlib's font cache is built before each start (as it is on a teacher's second start); the
very first start after installing takes a few seconds more. Needs /usr/bin/chromium and the test
dependencies (playwright).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from browser_servers import CHROMIUM, chromium, voila  # the tests' own helpers
from machine import describe
from test_browser import DRAWN, PRESENTER_FIRST_DEMO  # what "the first demo drawn" means there

LOAD_TIMEOUT_MS = 240_000


def first_demo_seconds(browser) -> float:
    """Start `make present` once; seconds from its command to the first demo drawn."""
    with tempfile.TemporaryDirectory() as tmp, voila(Path(tmp)) as server:
        page = browser.new_context(viewport={"width": 1600, "height": 1100}).new_page()
        try:
            page.goto(server.url, wait_until="commit", timeout=LOAD_TIMEOUT_MS)
            page.wait_for_function(DRAWN, arg=PRESENTER_FIRST_DEMO, timeout=LOAD_TIMEOUT_MS,
                                   polling=50)
            return time.monotonic() - server.started
        finally:
            page.close()


def main() -> None:
    """Run the benchmark from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=5, help="starts of `make present` (default 5)")
    args = parser.parse_args()
    if not CHROMIUM.exists():  # `make bench` runs every benchmark: say so, and go on
        print(f"presenter start: NOT measured, {CHROMIUM} is missing (install Debian's chromium)")
        return
    print(f"at start: {describe()}")
    with chromium() as browser:
        times = [first_demo_seconds(browser) for _ in range(args.starts)]
    print(f"make present -> first demo drawn, {len(times)} starts: "
          f"median {statistics.median(times):.1f} s, slowest {max(times):.1f} s "
          f"(fastest {min(times):.1f} s)")


if __name__ == "__main__":
    main()
