"""Time the kernel explorer end to end in Chromium: from typing a kernel weight to the new picture.

    python benchmarks/bench_explorer_browser.py            # 30 timed updates
    python benchmarks/bench_explorer_browser.py --updates 60

It starts the classroom view (`make present`: Voilà on 127.0.0.1, in a temporary copy of the
course) and opens it in headless Chromium (Debian's, as the browser tests do). In the kernel
explorer it types a weight into a kernel cell and presses Enter, again and again, alternating
two values so that every Enter changes the picture. For each one the page itself measures, with
``performance.now()``, the time from the Enter key to the new filtered image painted: the
image's ``src`` changes (a MutationObserver), the browser decodes it (``img.decode()``), and the
next frame is drawn (``requestAnimationFrame``, then a task after it). That covers the browser's
event, the message to the kernel, the filtering, the PNG encoding, the message back, decoding
and painting. It prints the median and the 95th percentile.

Both server and browser run on this machine, so its cores are shared by the kernel, Voilà and
Chromium, as on a student's laptop. Needs /usr/bin/chromium and the test dependencies
(playwright); the numbers are for this machine only.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from browser_servers import CHROMIUM, chromium, voila  # the tests' own helpers
from test_browser import PRESENTER_DEMOS, PRESENTER_SETTLED  # every demo drawn: the kernel is idle

LOAD_TIMEOUT_MS = 240_000
UPDATE_TIMEOUT_MS = 30_000
SCOPE = ".course-kernel-explorer"
# Installed in the page: time every Enter in a kernel cell until the filtered image repaints.
INSTRUMENT = """(scope) => {
    const img = document.querySelector(scope + ' img.course-filtered-image');
    window.__latencies = [];
    let typedAt = null;
    document.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' && event.target.closest(scope + ' .course-kernel-cell')) {
            typedAt = performance.now();
        }
    }, true);
    new MutationObserver(async () => {
        if (typedAt === null) return;
        const start = typedAt;
        typedAt = null;
        try { await img.decode(); } catch (error) { /* a broken image still counts */ }
        requestAnimationFrame(() => setTimeout(() => {
            window.__latencies.push(performance.now() - start);
        }, 0));
    }).observe(img, {attributes: true, attributeFilter: ['src']});
    return img.naturalWidth + 'x' + img.naturalHeight;
}"""


def measure(updates: int, warm_up: int) -> tuple[list[float], str]:
    """Start the presenter, type ``warm_up + updates`` weights, return the timed latencies (ms)."""
    with tempfile.TemporaryDirectory() as tmp, voila(Path(tmp)) as server, chromium() as browser:
        page = browser.new_context(viewport={"width": 1600, "height": 1100}).new_page()
        page.goto(server.url, wait_until="commit", timeout=LOAD_TIMEOUT_MS)
        page.wait_for_function(PRESENTER_SETTLED, arg=PRESENTER_DEMOS, timeout=LOAD_TIMEOUT_MS)
        size = page.evaluate(INSTRUMENT, SCOPE)
        # The top-left weight of the identity kernel: 1 and -1 in turn give two different pictures.
        # (Not the centre: 2 x identity, rescaled for display, is the same picture as identity,
        # so its PNG is byte for byte the same, ipywidgets sends nothing and nothing repaints.)
        cell = page.locator(f"{SCOPE} .course-kernel-cell input").nth(0)
        cell.scroll_into_view_if_needed()
        cell.click()
        for i in range(warm_up + updates):
            cell.press("Control+A")
            cell.type("1" if i % 2 == 0 else "-1")
            cell.press("Enter")
            page.wait_for_function(f"() => window.__latencies.length >= {i + 1}",
                                   timeout=UPDATE_TIMEOUT_MS)
        latencies = page.evaluate("() => window.__latencies")
    return latencies[warm_up:], size


def main() -> None:
    """Run the benchmark from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=30, help="timed updates (default 30)")
    parser.add_argument("--warm-up", type=int, default=3, help="untimed updates first")
    args = parser.parse_args()
    if not CHROMIUM.exists():  # `make bench` runs every benchmark: say so, and go on
        print(f"kernel explorer in Chromium: NOT measured, {CHROMIUM} is missing (install "
              "Debian's chromium package)")
        return
    latencies, size = measure(args.updates, args.warm_up)
    print(f"{os.cpu_count()} CPUs, {platform.processor() or platform.machine()}; "
          f"kernel explorer in Voila (make present), filtered image {size}")
    print(f"typing a kernel weight + Enter -> new image painted, {len(latencies)} updates: "
          f"median {statistics.median(latencies):.0f} ms, "
          f"95th percentile {statistics.quantiles(latencies, n=20, method='inclusive')[18]:.0f} ms "
          f"(fastest {min(latencies):.0f} ms, slowest {max(latencies):.0f} ms)")


if __name__ == "__main__":
    main()
