"""The filter explorers computed in Chromium are the library's pictures, pixel for pixel.

Each explorer is put on a page the way the course website puts it (its standard widget state
and view, ``site/_ext/course_site.live_html``, run by ``site/_static/course-widgets.js`` with no
kernel), with every request of the page refused: nothing is fetched. The test drives the
controls as a student would (menus, radio buttons, typed cells, the slider, a chosen file) and
compares the canvas with ``convolve2d`` / ``correlate2d`` plus the display scaling, computed in
Python by the explorer itself (``KernelExplorer.shown``, set to the same settings): every
preset, each boundary, both operations, typed kernels, a grey and a colour image, the Gaussian
blur at several sigmas; at most 1 grey level apart, everywhere. The messages are the library's
too (``status``), and bad input keeps the last picture.
"""

from __future__ import annotations

import base64
import io
import sys

import numpy as np
import pytest
from a11y import axe_violations, blocking
from browser_servers import ROOT, chromium, require_chromium
from PIL import Image

from course_lib.filters import preset_kernels
from course_lib.images import sample_image
from course_lib.plotting import to_uint8
from course_lib.widgets.filters import gaussian_explorer, kernel_explorer

sys.path.insert(0, str(ROOT / "site" / "_ext"))
from course_site import live_html  # the website's own page-building code

pytestmark = pytest.mark.browser

MANAGER = (ROOT / "site" / "_static" / "course-widgets.js").read_text(encoding="utf-8")
K = ".course-kernel-explorer"
G = ".course-gaussian-explorer"
FILTERED = f"{K} canvas.course-filtered-image"
BLURRED = f"{G} canvas.course-gaussian-image"
TOLERANCE = 1  # grey levels (8 bits): a rounding tie may fall either way
READ_CANVAS = """(selector) => { const c = document.querySelector(selector);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let s = ''; for (let i = 0; i < d.length; i += 8192) s += String.fromCharCode(...d.subarray(i, i + 8192));
    return [c.width, c.height, btoa(s)]; }"""
PAINTS = "(selector) => Number(document.querySelector(selector).dataset.paints || 0)"


def grey_image() -> np.ndarray:
    return sample_image("camera")[150:214, 200:290]  # (64, 90): not square, to catch a transpose


def colour_image() -> np.ndarray:
    return sample_image("astronaut")[60:130, 180:240]  # (70, 60, 3)


@pytest.fixture(scope="module")
def browser():
    require_chromium()
    with chromium() as browser:
        yield browser


def open_page(browser, *apps):
    """A page holding ``apps`` live, as the website writes them; every request is refused."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    requests = []
    context.route("**/*", lambda route: (requests.append(route.request.url), route.abort()))
    page = context.new_page()
    page.errors = []
    page.requests = requests
    page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    body = "".join(live_html(app, picture=None, alt="the explorer", sample_url=None) for app in apps)
    page.set_content(f'<!doctype html><html lang="en"><head><title>explorers</title></head>'
                     f"<body><main>{body}</main></body></html>")
    page.add_script_tag(content=MANAGER)
    page.wait_for_function("() => document.documentElement.dataset.courseWidgets === 'ready'")
    for selector in (FILTERED, BLURRED):
        if page.locator(selector).count():
            page.wait_for_function(f"() => ({PAINTS})('{selector}') > 0")
    return page


def canvas(page, selector: str) -> np.ndarray:
    """The canvas's pixels, RGB."""
    width, height, data = page.evaluate(READ_CANVAS, selector)
    return np.frombuffer(base64.b64decode(data), np.uint8).reshape(height, width, 4)[:, :, :3]


def assert_same_picture(got: np.ndarray, want: np.ndarray, what: str) -> None:
    want = want if want.ndim == 3 else np.repeat(want[:, :, None], 3, axis=2)  # grey: R = G = B
    assert got.shape == want.shape, f"{what}: canvas {got.shape}, library {want.shape}"
    worst = int(np.abs(got.astype(int) - want.astype(int)).max())
    assert worst <= TOLERANCE, f"{what}: {worst} grey levels apart"


def message(page, scope: str) -> str:
    return page.inner_text(f"{scope} .course-message")


def set_cell(page, index: int, text: str) -> None:
    cell = page.locator(f"{K} .course-kernel-cell input").nth(index)
    cell.fill(text)
    cell.press("Enter")


@pytest.mark.parametrize("image", ["grey", "colour"])
def test_every_preset_boundary_and_operation_is_the_librarys_picture(browser, image):
    app = kernel_explorer(grey_image() if image == "grey" else colour_image())
    page = open_page(browser, app)
    compared = 0
    for preset in preset_kernels():
        page.select_option(f"{K} .course-kernel-preset select", preset)
        app.preset = preset
        for boundary in app.boundaries:
            page.select_option(f"{K} .course-boundary select", boundary)
            app.boundary = boundary
            for operation in ("convolution", "correlation"):
                page.check(f"{K} input[value='{operation}']")
                app.operation = operation
                what = f"{image}, {preset}, {boundary}, {operation}"
                assert_same_picture(canvas(page, FILTERED), app.shown(), what)
                assert message(page, K) == app.status(), what
                compared += 1
        limit = float(np.abs(app.kernel).max()) or 1.0
        assert_same_picture(canvas(page, f"{K} canvas.course-kernel-image"),
                            to_uint8(app.kernel, vmin=-limit, vmax=limit, cmap="RdBu_r"),
                            f"the kernel picture of {preset}")
    assert compared == len(preset_kernels()) * 3 * 2
    assert not page.errors, page.errors
    assert not page.requests, f"the page asked the network for {page.requests}"


def test_the_convolution_moves_the_picture_the_other_way_from_the_correlation(browser):
    app = kernel_explorer(grey_image())
    page = open_page(browser, app)
    original = canvas(page, f"{K} canvas.course-original-image")
    page.select_option(f"{K} .course-kernel-preset select", "shift right 1")
    convolved = canvas(page, FILTERED)
    page.check(f"{K} input[value='correlation']")
    correlated = canvas(page, FILTERED)
    np.testing.assert_array_equal(convolved[:, 1:], original[:, :-1])  # moved right
    np.testing.assert_array_equal(correlated[:, :-1], original[:, 1:])  # moved left


@pytest.mark.parametrize("image", ["grey", "colour"])
def test_typed_kernels_are_the_librarys_picture(browser, image):
    app = kernel_explorer(grey_image() if image == "grey" else colour_image())
    page = open_page(browser, app)
    typed = ["1/16", "-2", "0.25", "3", "1e-1", "-1/3", "", "2.5e0", "-0.125"]
    for index, text in enumerate(typed):
        set_cell(page, index, text)
        app.set_cell(index // 3, index % 3, text)
    assert page.locator(f"{K} .course-kernel-preset select").input_value() == "custom"
    for boundary in app.boundaries:
        page.select_option(f"{K} .course-boundary select", boundary)
        app.boundary = boundary
        assert_same_picture(canvas(page, FILTERED), app.shown(), f"typed 3x3, {boundary}")
        assert message(page, K) == app.status()
    # a 5x5 grid, grown from the 3x3 one, a corner typed, normalised
    page.check(f"{K} input[value='5x5']")
    app.size = 5
    set_cell(page, 0, "7/3")
    app.set_cell(0, 0, "7/3")
    page.check(f"{K} .course-normalise input")
    app.normalise = True
    assert page.locator(f"{K} .course-kernel-cell input").count() == 25
    assert_same_picture(canvas(page, FILTERED), app.shown(), "typed 5x5, normalised")
    assert message(page, K) == app.status()
    assert not page.errors, page.errors


def test_bad_input_is_explained_and_keeps_the_last_picture(browser):
    app = kernel_explorer(grey_image())
    page = open_page(browser, app)
    set_cell(page, 0, "2")
    app.set_cell(0, 0, "2")
    set_cell(page, 4, "1e308")  # huge but finite: rescaled for display
    app.set_cell(1, 1, "1e308")
    assert message(page, K) == app.status() == ("result in [1.96078e+306, 1e+308], rescaled to "
                                                "black..white for display")
    # each bad entry on its own (put back to 0 after); 1e308 twice overflows on a white pixel
    for index, text in [(1, "abc"), (1, "1/0"), (2, "1e400"), (3, "1" + "0" * 400 + "/3"),
                        (5, "1e308")]:
        good, paints = canvas(page, FILTERED), page.evaluate(PAINTS, FILTERED)
        set_cell(page, index, text)
        app.set_cell(index // 3, index % 3, text)
        expected = app.status()
        assert message(page, K) == expected, text
        assert "result in" not in expected, text
        assert page.evaluate(PAINTS, FILTERED) == paints, f"{text}: the picture changed"
        np.testing.assert_array_equal(canvas(page, FILTERED), good)
        set_cell(page, index, "0")
        app.set_cell(index // 3, index % 3, "0")
    page.select_option(f"{K} .course-kernel-preset select", "sobel x")
    page.check(f"{K} .course-normalise input")
    app.preset, app.normalise = "sobel x", True
    assert message(page, K) == app.status()
    assert "sum to 0" in app.status()
    colour = page.locator(f"{K} .course-message").evaluate("m => getComputedStyle(m).color")
    assert colour == "rgb(176, 0, 32)", "an error is written in red"


def test_the_gaussian_blur_is_the_librarys_picture(browser):
    app = gaussian_explorer(colour_image())
    page = open_page(browser, app)
    slider = page.locator(f"{G} .course-sigma-slider input[type=range]")
    for sigma in (1.0, 0.25, 2.5, 8.0):
        slider.fill(str(sigma))
        app.sigma = sigma
        assert_same_picture(canvas(page, BLURRED), app.shown(), f"sigma {sigma}")
        assert message(page, G) == app.status()
    slider.focus()
    slider.press("ArrowLeft")  # the keyboard moves sigma by one step
    app.sigma = 8.0 - 0.25
    assert_same_picture(canvas(page, BLURRED), app.shown(), "sigma 7.75, from the keyboard")
    assert not page.errors, page.errors


def test_a_full_size_image_and_both_explorers_on_one_page(browser):
    kernel_app = kernel_explorer(preset="sobel x")  # the camera, 512x512, as on the website
    gaussian_app = gaussian_explorer()  # the astronaut, 512x512 colour
    page = open_page(browser, kernel_app, gaussian_app)
    assert_same_picture(canvas(page, FILTERED), kernel_app.shown(), "camera 512x512, sobel x")
    assert_same_picture(canvas(page, BLURRED), gaussian_app.shown(), "astronaut 512x512, sigma 1")
    page.select_option(f"{K} .course-boundary select", "wrap")
    kernel_app.boundary = "wrap"
    assert_same_picture(canvas(page, FILTERED), kernel_app.shown(), "camera 512x512, wrap")
    assert not page.errors, page.errors


def png_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


def test_a_students_own_image_is_filtered_in_the_browser(browser, tmp_path):
    app = kernel_explorer(grey_image())
    page = open_page(browser, app)
    page.select_option(f"{K} .course-kernel-preset select", "laplacian")
    big = (np.random.default_rng(1).random((1200, 900, 3)) * 255).astype(np.uint8)
    photo = tmp_path / "photo.png"
    photo.write_bytes(png_bytes(big))
    paints = page.evaluate(PAINTS, FILTERED)
    page.set_input_files(f"{K} input[type=file]", str(photo))
    page.wait_for_function(f"() => ({PAINTS})('{FILTERED}') > {paints}")
    assert page.locator(f"{K} .course-image-choice select").input_value() == "uploaded"
    original = canvas(page, f"{K} canvas.course-original-image")
    assert original.shape == (768, 576, 3), "a large image is scaled to fit 768 pixels"
    # the library, on the pixels the browser filtered (what it sends a kernel, as PNG)
    app.image = png_bytes(original)
    app.image_name = "uploaded"
    app.preset = "laplacian"
    assert_same_picture(canvas(page, FILTERED), app.shown(), "the student's image, laplacian")
    # anything that is not an image: a short message, the picture stays
    good = canvas(page, FILTERED)
    notes = tmp_path / "notes.txt"
    notes.write_text("not a picture")
    page.set_input_files(f"{K} input[type=file]", str(notes))
    page.locator(f"{K} .course-message", has_text="Upload refused").wait_for()
    assert "not an image" in message(page, K)
    np.testing.assert_array_equal(canvas(page, FILTERED), good)
    # back to the first image, then to the student's again: each is the one chosen
    page.select_option(f"{K} .course-image-choice select", "your image")
    assert_same_picture(canvas(page, f"{K} canvas.course-original-image"),
                        to_uint8(grey_image(), vmin=0.0, vmax=1.0), "the first image again")
    page.select_option(f"{K} .course-image-choice select", "uploaded")
    np.testing.assert_array_equal(canvas(page, f"{K} canvas.course-original-image"), original)
    assert not page.errors, page.errors
    assert not page.requests, f"the page asked the network for {page.requests}"


def test_the_explorers_work_from_the_keyboard_and_pass_axe(browser):
    page = open_page(browser, kernel_explorer(grey_image()), gaussian_explorer(colour_image()))
    problems = blocking(axe_violations(page))
    assert not problems, "\n".join(problems)
    preset = f"{K} .course-kernel-preset select"
    page.locator(f"{K} .course-image-choice select").focus()
    for _ in range(10):  # Tab reaches the preset menu
        page.keyboard.press("Tab")
        if page.evaluate(f"() => document.activeElement.matches('{preset}')"):
            break
    else:
        raise AssertionError("Tab never reached the preset menu")
    paints = page.evaluate(PAINTS, FILTERED)
    page.keyboard.press("ArrowDown")
    assert page.locator(preset).input_value() == "shift right 1"
    assert page.evaluate(PAINTS, FILTERED) == paints + 1
    for _ in range(10):  # then a kernel cell
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.closest('.course-kernel-cell') !== null"):
            break
    else:
        raise AssertionError("Tab never reached a kernel cell")
    page.keyboard.press("Control+A")
    page.keyboard.type("-3")
    page.keyboard.press("Enter")
    assert page.evaluate(PAINTS, FILTERED) == paints + 2
    assert page.locator(preset).input_value() == "custom"
    names = page.eval_on_selector_all(f"{K} .course-kernel-cell input",
                                      "cells => cells.map(c => c.getAttribute('aria-label'))")
    assert names[:2] == ["weight row 1 column 1", "weight row 1 column 2"]
    assert page.locator(f"{K} .course-message").get_attribute("role") == "status"
