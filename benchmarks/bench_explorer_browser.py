"""Time the kernel explorer end to end in Chromium: from typing a kernel weight to the new picture.

    python benchmarks/bench_explorer_browser.py              # 60 timed updates per path
    python benchmarks/bench_explorer_browser.py --updates 100

Three paths side by side, in one run, on the same 512x512 grey image (the camera):

- **through the kernel**: the classroom view (`make present`, Voilà on 127.0.0.1) with the
  explorer's ``compute = "kernel"``: the browser sends the typed weight to the Python kernel,
  which filters the image with course_lib, encodes a PNG and sends it back (what every update
  cost before the explorers computed in the browser);
- **Voilà, in the browser**: the same page's own kernel explorer as the presenter shows it,
  computing the picture in JavaScript on a canvas (the kernel is told, but nobody waits for it);
- **static site**: the course website built by `make site` (into a temporary folder, served on
  127.0.0.1), chapter 1's explorer, with no kernel at all.

In each, the benchmark types a weight into a kernel cell and presses Enter, again and again,
alternating two values so that every Enter changes the picture. The page itself measures, with
``performance.now()``, the time from the Enter key to the new picture painted: the canvas counts
each drawing in its ``data-paints`` attribute (a MutationObserver sees it), and the next frame is
drawn (``requestAnimationFrame``, then a task after it). It prints the median and the 95th
percentile of each path, the static site's as ``static site: median X ms, p95 Y ms``.

Server and browser run on this machine, so its cores are shared by the kernel, Voilà and
Chromium, as on a student's laptop. The CPU and the load average are printed with the figures:
a figure from a busy machine is no result. Needs /usr/bin/chromium and the test dependencies.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import statistics
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

import nbformat  # noqa: E402
from browser_servers import CHROMIUM, chromium, in_course, make_recipe, voila  # noqa: E402
from machine import describe  # noqa: E402
from test_browser import PRESENTER_DEMOS, PRESENTER_SETTLED  # noqa: E402

LOAD_TIMEOUT_MS = 240_000
UPDATE_TIMEOUT_MS = 30_000
SITE_BUILD_TIMEOUT_S = 300
TARGET_MS = 16.0  # one frame at 60 Hz
EXPLORER = ".course-kernel-explorer"
THROUGH_KERNEL_CELL = "app = kernel_explorer()\napp.compute = 'kernel'\napp"
# Installed in the page: time every Enter in a kernel cell of explorer number `index` until its
# filtered canvas is drawn again and the next frame is on screen.
INSTRUMENT = """([selector, index]) => {
    const explorer = document.querySelectorAll(selector)[index];
    const canvas = explorer.querySelector('canvas.course-filtered-image');
    window.__latencies = [];
    let typedAt = null;
    explorer.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' && event.target.closest('.course-kernel-cell')) {
            typedAt = performance.now();
        }
    }, true);
    new MutationObserver(() => {
        if (typedAt === null) return;
        const start = typedAt;
        typedAt = null;
        requestAnimationFrame(() => setTimeout(() => {
            window.__latencies.push(performance.now() - start);
        }, 0));
    }).observe(canvas, {attributes: true, attributeFilter: ['data-paints']});
    return canvas.width + 'x' + canvas.height;
}"""
DRAWN = """([selector, index]) => { const explorer = document.querySelectorAll(selector)[index];
    const canvas = explorer && explorer.querySelector('canvas.course-filtered-image');
    return Boolean(canvas && Number(canvas.dataset.paints || 0) > 0); }"""


def type_weights(page, index: int, updates: int, warm_up: int) -> tuple[list[float], str]:
    """Type ``warm_up + updates`` weights into explorer ``index``; return the timed latencies (ms)."""
    page.wait_for_function(DRAWN, arg=[EXPLORER, index], timeout=LOAD_TIMEOUT_MS)
    size = page.evaluate(INSTRUMENT, [EXPLORER, index])
    # The top-left weight of the identity kernel: 1 and -1 in turn give two different pictures.
    cell = page.locator(EXPLORER).nth(index).locator(".course-kernel-cell input").nth(0)
    cell.scroll_into_view_if_needed()
    cell.click()
    for i in range(warm_up + updates):
        cell.press("Control+A")
        cell.type("1" if i % 2 == 0 else "-1")
        cell.press("Enter")
        page.wait_for_function(f"() => window.__latencies.length >= {i + 1}", timeout=UPDATE_TIMEOUT_MS)
    return page.evaluate("() => window.__latencies")[warm_up:], size


def add_kernel_path(root: Path) -> None:
    """In the copied presenter, add a kernel explorer whose pictures the kernel computes."""
    path = root / "classroom" / "presenter.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("from course_lib.widgets.filters import kernel_explorer\n\n"
                                              + THROUGH_KERNEL_CELL))
    nbformat.write(nb, path)


def measure_voila(browser, updates: int, warm_up: int) -> dict[str, tuple[list[float], str]]:
    """Time the presenter in Voilà: its in-browser explorer (first), the kernel-computed one (last)."""
    with tempfile.TemporaryDirectory() as tmp, voila(Path(tmp), prepare=add_kernel_path) as server:
        page = browser.new_context(viewport={"width": 1600, "height": 1100}).new_page()
        page.goto(server.url, wait_until="commit", timeout=LOAD_TIMEOUT_MS)
        page.wait_for_function(PRESENTER_SETTLED, arg=PRESENTER_DEMOS, timeout=LOAD_TIMEOUT_MS)
        page.wait_for_function(f"() => document.querySelectorAll('{EXPLORER}').length === 2",
                               timeout=LOAD_TIMEOUT_MS)
        results = {"through the kernel (Voila, compute='kernel')": type_weights(page, 1, updates, warm_up)}
        results["Voila, in the browser"] = type_weights(page, 0, updates, warm_up)
        page.close()
    return results


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@contextlib.contextmanager
def built_site():
    """`make site` into a temporary folder, served on 127.0.0.1; yields the chapter 1 URL."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "_site"
        command = in_course(make_recipe("site", SITE_DIR=str(out)), ROOT)
        subprocess.run(command, check=True, capture_output=True, timeout=SITE_BUILD_TIMEOUT_S)
        handler = functools.partial(_QuietHandler, directory=str(out))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield f"http://127.0.0.1:{server.server_address[1]}/notebooks/01_image_filters.html"
        finally:
            server.shutdown()
            server.server_close()


def measure_site(browser, updates: int, warm_up: int) -> tuple[list[float], str]:
    """Time chapter 1's kernel explorer on the built website, no kernel, other hosts refused."""
    with built_site() as url:
        context = browser.new_context(viewport={"width": 1600, "height": 1100})
        base = url.split("/notebooks/")[0]
        context.route("**/*", lambda route: route.continue_() if route.request.url.startswith(base)
                      else route.abort())
        page = context.new_page()
        page.goto(url, wait_until="load", timeout=LOAD_TIMEOUT_MS)
        result = type_weights(page, 0, updates, warm_up)
        context.close()
    return result


def summary(latencies: list[float]) -> tuple[float, float]:
    """Return the median and the 95th percentile."""
    return statistics.median(latencies), statistics.quantiles(latencies, n=20, method="inclusive")[18]


def main() -> None:
    """Run the benchmark from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=60, help="timed updates per path (default 60)")
    parser.add_argument("--warm-up", type=int, default=5, help="untimed updates first")
    args = parser.parse_args()
    if not CHROMIUM.exists():  # `make bench` runs every benchmark: say so, and go on
        print(f"kernel explorer in Chromium: NOT measured, {CHROMIUM} is missing (install "
              "Debian's chromium package)")
        return
    before = describe()
    with chromium() as browser:
        results = measure_voila(browser, args.updates, args.warm_up)
        results["static site (make site, no kernel)"] = measure_site(browser, args.updates, args.warm_up)
    print(f"before: {before}")
    print(f"kernel explorer, typing a kernel weight + Enter -> new picture painted, headless Chromium, "
          f"{args.updates} updates per path:")
    for name, (latencies, size) in results.items():
        median, p95 = summary(latencies)
        print(f"  {name:<45} {size}: median {median:6.1f} ms, 95th percentile {p95:6.1f} ms "
              f"(fastest {min(latencies):.1f}, slowest {max(latencies):.1f})")
    kernel_median = summary(results["through the kernel (Voila, compute='kernel')"][0])[0]
    median, p95 = summary(results["static site (make site, no kernel)"][0])
    print(f"static site: median {median:.1f} ms, p95 {p95:.1f} ms "
          f"({kernel_median / median:.1f}x faster than through the kernel; target median <= "
          f"{TARGET_MS:.0f} ms: {'met' if median <= TARGET_MS else 'NOT met'})")
    print(f"after: {describe()}")


if __name__ == "__main__":
    main()
