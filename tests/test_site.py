"""The course website: `make site` builds it offline; every page works and is accessible in Chromium.

The site is built once per test module, by the Makefile's own `site` recipe (read with `make -n`),
into a temporary folder, with the network blocked for the build (as for every process the tests
start, see conftest.py). Then each page is opened in headless Chromium from a local web server
on 127.0.0.1: no console error, no broken internal link or image, formulas typeset by MathJax
(served by the site itself), search answers, and axe-core finds no serious or critical WCAG 2.1
A/AA violation. Chapter 1's filter explorers are live with no kernel and no network (every
request to another host refused): a student picks a preset, types a weight, picks another
image, chooses a file, moves sigma, and the pictures follow.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import re
import subprocess
import sys
import threading
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest
from a11y import axe_violations, blocking
from browser_servers import ROOT, chromium, in_course, make_recipe, require_chromium

sys.path.insert(0, str(ROOT / "tools"))
import notebook_header  # tools/ is not a package

pytestmark = pytest.mark.browser

CHAPTERS = ["01_image_filters", "02_cnn_architectures", "03_training", "04_training_part_2"]
BUILD_TIMEOUT_S = 240
PAGE_TIMEOUT_MS = 30_000
# Text that only a widget's repr writes (`VBox(children=(...`, `Image(value=b'...`, a layout).
WIDGET_REPR = re.compile(r"\b(?:VBox|HBox|Box|Image|Dropdown|IntSlider|FloatSlider)\(children=|"
                         r"\(value=b'|_dom_classes=|Layout\(")
# axe findings inside the third-party theme (sphinx-book-theme / pydata-sphinx-theme) that the
# course cannot change; each is checked to be the theme's element, never the course's content.
THEME_ALLOWED: dict[str, tuple[str, str]] = {}
# Highlighted code is thousands of coloured spans in a handful of colours: checking the colour
# contrast of each span takes axe minutes on a chapter. So every rule runs on the page except in
# code, and the colour contrast of code runs on one span of each kind of token (each colour).
CODE = "div.highlight pre"
NOT_CODE = {"exclude": [[CODE]]}
WIDGETS_READY = "() => document.documentElement.dataset.courseWidgets === 'ready'"
KERNEL = ".course-kernel-explorer"
GAUSSIAN = ".course-gaussian-explorer"
PAINTS = "(selector) => Number(document.querySelector(selector).dataset.paints || 0)"
MARK_TOKEN_SAMPLES = """(code) => { const seen = new Set();
    for (const span of document.querySelectorAll(code + ' span')) {
        const kind = span.className || 'plain';
        if (!seen.has(kind) && span.textContent.trim()) {
            seen.add(kind); span.setAttribute('data-token-sample', kind); } }
    return seen.size; }"""


class _Links(HTMLParser):
    """The page's link targets, resource URLs and element ids."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.resources: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        for name in ("src", "href"):
            if tag in ("script", "img", "link", "source", "iframe") and attrs.get(name):
                self.resources.append(attrs[name])


def parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def is_external(url: str) -> bool:
    """Whether ``url`` is on another host (a ``data:`` URL is the page's own bytes)."""
    return urlsplit(url).scheme not in ("", "data") or url.startswith("//")


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """`make site`, as the Makefile writes it, into a temporary folder (network blocked)."""
    out = tmp_path_factory.mktemp("site") / "_site"
    command = in_course(make_recipe("site", SITE_DIR=str(out)), ROOT)
    start = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, timeout=BUILD_TIMEOUT_S,
                            check=False)
    seconds = time.monotonic() - start
    assert result.returncode == 0, f"make site failed:\n{result.stdout}\n{result.stderr}"
    assert (out / "index.html").is_file()
    print(f"make site: {seconds:.1f} s")
    return out


@pytest.fixture(scope="module")
def pages(site) -> list[Path]:
    found = sorted(p for p in site.rglob("*.html") if "_static" not in p.parts
                   and ".doctrees" not in p.parts)
    return found


@pytest.fixture(scope="module")
def served(site):
    """The built site over HTTP on 127.0.0.1 (a free port), stopped after the module."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


@pytest.fixture(scope="module")
def browser():
    require_chromium()
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    page.console_errors = []
    page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    page.failed_requests = []
    page.on("requestfailed", lambda r: page.failed_requests.append(r.url))
    page.on("response", lambda r: r.status >= 400 and page.failed_requests.append(
        f"{r.status} {r.url}"))
    yield page
    context.close()


# --- the build and the files ----------------------------------------------------------------


def test_site_has_home_chapters_search_and_downloads(site, pages):
    names = {p.relative_to(site).as_posix() for p in pages}
    assert {"index.html", "search.html", *(f"notebooks/{c}.html" for c in CHAPTERS)} <= names
    for chapter in CHAPTERS:
        assert (site / "downloads" / "student" / f"{chapter}.ipynb").is_file()
    assert (site / "downloads" / "presenter.ipynb").is_file()
    home = (site / "index.html").read_text(encoding="utf-8")
    for target in ["downloads/presenter.ipynb", "notebooks/01_image_filters.html",
                   *(f"downloads/student/{c}.ipynb" for c in CHAPTERS)]:
        assert f'href="{target}"' in home, f"the home page does not link to {target}"


def test_nothing_is_loaded_from_the_web(site, pages):
    """Every script, style sheet and image comes from the site itself (it works offline)."""
    for page in pages:
        external = [url for url in parse(page).resources if is_external(url)]
        assert not external, f"{page.relative_to(site)} loads {external}"
    assert (site / "_static" / "mathjax" / "tex-mml-chtml.js").is_file()


def test_internal_links_and_images_resolve(site, pages):
    for page in pages:
        parsed = parse(page)
        for url in [*parsed.links, *parsed.resources]:
            if is_external(url) or url.startswith(("mailto:", "javascript:", "data:")):
                continue
            parts = urlsplit(url)
            if not parts.path:  # an anchor on this page
                assert not parts.fragment or parts.fragment in parsed.ids, \
                    f"{page.relative_to(site)}: no element #{parts.fragment}"
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            assert target.is_file(), f"{page.relative_to(site)} links to missing {url}"
            if parts.fragment and target.suffix == ".html":
                assert parts.fragment in parse(target).ids, \
                    f"{page.relative_to(site)}: {url} has no such anchor"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_page_has_colab_and_download_links(site, chapter):
    html = (site / "notebooks" / f"{chapter}.html").read_text(encoding="utf-8")
    assert f'href="{notebook_header.colab_url(chapter)}"' in html
    assert ">Open in Colab<" in html
    downloads = {href: re.sub(r"<[^>]+>", "", text) for href, text in re.findall(
        r'<a class="reference download internal"[^>]*href="([^"]+)">(.*?)</a>', html)}
    notebook = [href for href, text in downloads.items()
                if text == "Download the notebook" and href.endswith(f"/{chapter}.ipynb")]
    assert notebook, f"no 'Download the notebook' link among {downloads}"
    assert (site / "notebooks" / notebook[0]).resolve().is_file()
    assert "colab-badge.svg" not in html, "the Colab badge (a web image) is shown"


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_page_shows_pictures_not_widget_reprs(site, chapter):
    """Widget outputs appear as their pictures (or quiz HTML), never as a widget's repr."""
    html = (site / "notebooks" / f"{chapter}.html").read_text(encoding="utf-8")
    found = WIDGET_REPR.findall(html)
    assert not found, f"{chapter}: widget repr text on the page: {found[:3]}"
    assert "course-quiz-static" in html, f"{chapter}: the quiz's questions are not on the page"
    images = re.findall(r'<img [^>]*alt="([^"]*)"', html)
    assert len(images) >= 3, f"{chapter}: only {len(images)} images"


# --- in Chromium ------------------------------------------------------------------------------


def site_urls(site, pages, served) -> list[str]:
    return [f"{served}/{p.relative_to(site).as_posix()}" for p in pages]


def test_every_page_loads_cleanly_and_is_accessible(site, pages, served, page):
    """No console error, no failed request, every image decoded, math typeset; no serious or
    critical axe violation."""
    problems = []
    for url in site_urls(site, pages, served):
        page.console_errors.clear()
        page.failed_requests.clear()
        page.goto(url, wait_until="load")
        page.wait_for_function(WIDGETS_READY)  # the live explorers, if any, are drawn
        broken = page.eval_on_selector_all(
            "img", "imgs => imgs.filter(i => !(i.complete && i.naturalWidth > 0))"
                   ".map(i => i.getAttribute('src'))")
        if page.locator(".math").count():
            page.wait_for_function("() => window.MathJax && MathJax.startup"
                                   " && MathJax.startup.promise", timeout=PAGE_TIMEOUT_MS)
            page.evaluate("() => MathJax.startup.promise")
            untypeset = page.evaluate(
                "() => Array.from(document.querySelectorAll('.math'))"
                ".filter(m => !m.querySelector('mjx-container') && m.tagName !== 'MJX-CONTAINER'"
                " && !m.closest('mjx-container')).length")
            errors = page.locator("mjx-merror").count()
            if untypeset or errors:
                problems.append(f"{url}: {untypeset} formulas not typeset, {errors} MathJax errors")
        problems += [f"{url}: console: {e}" for e in page.console_errors]
        problems += [f"{url}: request failed: {r}" for r in page.failed_requests]
        problems += [f"{url}: broken image {src}" for src in broken]
        # Last: axe re-reads the style sheets for its own checks (resolving their @import
        # against the page, not the sheet), which is not the page's doing.
        for line in blocking(axe_violations(page, context=NOT_CODE), allowed=THEME_ALLOWED):
            problems.append(f"{url}: axe {line}")
        if page.locator(CODE).count():
            page.evaluate(MARK_TOKEN_SAMPLES, CODE)
            contrast = axe_violations(page, context="[data-token-sample]", rules=["color-contrast"])
            problems += [f"{url}: axe, code colours: {line}" for line in blocking(contrast)]
    assert not problems, "\n".join(problems)


def test_math_is_typeset_on_a_chapter(served, page):
    page.goto(f"{served}/notebooks/01_image_filters.html", wait_until="load")
    page.wait_for_function("() => document.querySelectorAll('mjx-container').length > 5",
                           timeout=PAGE_TIMEOUT_MS)
    assert page.locator("mjx-merror").count() == 0


def test_search_finds_a_chapter(served, page):
    page.goto(f"{served}/search.html?q=convolution", wait_until="load")
    results = page.locator("#search-results ul.search li a")
    with contextlib.suppress(Exception):
        results.first.wait_for(timeout=PAGE_TIMEOUT_MS)
    targets = results.evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert any("01_image_filters" in t for t in targets), f"search results: {targets}"


def test_navigation_reaches_every_chapter(served, page):
    page.goto(f"{served}/index.html", wait_until="load")
    nav = page.locator("nav.bd-links a.reference.internal")
    hrefs = nav.evaluate_all("links => links.map(a => a.href)")
    for chapter in CHAPTERS:
        assert any(h.endswith(f"notebooks/{chapter}.html") for h in hrefs), (chapter, hrefs)
    first = urljoin(f"{served}/index.html", f"notebooks/{CHAPTERS[0]}.html")
    page.goto(first, wait_until="load")
    next_link = page.locator("a.right-next")
    assert next_link.count() == 1
    assert next_link.get_attribute("href").endswith(f"{CHAPTERS[1]}.html")


def test_the_accessibility_check_can_fail(page):
    """The axe harness reports what it should: an image without alt text, an unlabelled input."""
    page.set_content('<html lang="en"><head><title>t</title></head><body><main>'
                     '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw="><input type="text">'
                     "</main></body></html>")
    found = blocking(axe_violations(page))
    assert any(line.startswith("image-alt (critical)") for line in found), found
    assert any(line.startswith("label (critical)") for line in found), found


# --- the live explorers, with no kernel and no network ----------------------------------------


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_each_chapter_says_what_is_live_there(site, chapter):
    html = (site / "notebooks" / f"{chapter}.html").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))
    states = html.count('type="application/vnd.jupyter.widget-state+json"')
    if chapter == "01_image_filters":
        assert ("Live on this page, in your browser with no kernel: the kernel explorer and the "
                "Gaussian explorer.") in text
        assert states == 2
        assert html.count('class="course-live-picture"') == 2  # the picture, until it starts
    else:
        assert "Nothing on this page is live" in text
        assert states == 0
    assert "open the notebook in Jupyter or Colab" in text


def test_the_site_serves_the_explorers_sample_images_and_manager(site):
    from course_lib.images import sample_names

    for name in sample_names():
        assert (site / "_static" / "course" / "samples" / f"{name}.png").is_file(), name
    chapter = (site / "notebooks" / "01_image_filters.html").read_text(encoding="utf-8")
    assert 'src="../_static/course-widgets.js' in chapter


@pytest.fixture
def offline_page(browser, served):
    """A page that may reach the site's own server only: every other request is refused."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    refused = []

    def only_the_site(route):
        if route.request.url.startswith(served + "/"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    context.route("**/*", only_the_site)
    page = context.new_page()
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    page.refused = refused
    page.errors = []
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    yield page
    context.close()


def repainted(page, selector: str, before: int) -> None:
    page.wait_for_function(f"() => ({PAINTS})('{selector}') > {before}")


def test_the_explorers_are_live_on_the_website_with_no_kernel_and_no_network(offline_page, served,
                                                                            tmp_path):
    page = offline_page
    page.goto(f"{served}/notebooks/01_image_filters.html", wait_until="load")
    page.wait_for_function(WIDGETS_READY)
    filtered = f"{KERNEL} canvas.course-filtered-image"
    repainted(page, filtered, 0)
    assert page.locator(".course-live-picture").first.is_hidden(), "the picture gives way to the explorer"
    assert page.locator(f"{KERNEL} canvas.course-original-image").evaluate("c => c.width") == 512

    painted = page.evaluate(PAINTS, filtered)
    page.select_option(f"{KERNEL} .course-kernel-preset select", "sobel x")
    repainted(page, filtered, painted)
    assert page.inner_text(f"{KERNEL} .course-message").startswith("result in [")

    painted = page.evaluate(PAINTS, filtered)
    cell = page.locator(f"{KERNEL} .course-kernel-cell input").nth(1)
    cell.fill("5")
    cell.press("Enter")
    repainted(page, filtered, painted)
    assert page.locator(f"{KERNEL} .course-kernel-preset select").input_value() == "custom"

    painted = page.evaluate(PAINTS, filtered)
    page.select_option(f"{KERNEL} .course-image-choice select", "coins")  # served by the site
    repainted(page, filtered, painted)
    assert page.locator(f"{KERNEL} canvas.course-original-image").evaluate("c => [c.width, c.height]") \
        == [384, 303]

    painted = page.evaluate(PAINTS, filtered)
    photo = tmp_path / "mine.png"
    from PIL import Image

    Image.new("RGB", (1600, 1000), (200, 40, 40)).save(photo)
    page.set_input_files(f"{KERNEL} input[type=file]", str(photo))  # it stays in the browser
    repainted(page, filtered, painted)
    assert page.locator(f"{KERNEL} canvas.course-original-image").evaluate("c => [c.width, c.height]") \
        == [768, 480]
    painted = page.evaluate(PAINTS, filtered)
    page.select_option(f"{KERNEL} .course-image-choice select", "camera")  # and back
    repainted(page, filtered, painted)
    assert page.locator(f"{KERNEL} canvas.course-original-image").evaluate("c => [c.width, c.height]") \
        == [512, 512]

    blurred = f"{GAUSSIAN} canvas.course-gaussian-image"
    painted = page.evaluate(PAINTS, blurred)
    page.locator(f"{GAUSSIAN} .course-sigma-slider input[type=range]").fill("3")
    repainted(page, blurred, painted)
    assert page.inner_text(f"{GAUSSIAN} .course-message").startswith("kernel 19x19")
    assert not page.errors, page.errors
    assert not page.refused, f"the page asked another host for {page.refused}"
