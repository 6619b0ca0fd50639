"""course_lib.engine: every route against SciPy and against the lesson's strategy of its name."""

import io
import zlib

import numpy as np
import pytest
import scipy.signal
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from course_lib import conv, engine
from course_lib.engine import png
from course_lib.padding import Padding
from course_lib.plotting import to_uint8

MODES = ("full", "same", "valid")
BOUNDARIES = ("fill", "wrap", "symm")
ROUTES = ("separable", "vectorized", "fft")


def run(route, image, kernel, *, mode="same", boundary="fill", fillvalue=0.0, correlate=False):
    """What convolve2d (correlate2d with ``correlate``) gives through one route of the engine."""
    k = kernel[::-1, ::-1] if correlate else kernel
    split = conv.separate_kernel(k) if route == "separable" else None
    return engine.convolve(image, k, Padding(mode, boundary, fillvalue), correlate=correlate,
                           split=split, route=route)


def scipy_reference(image, kernel, *, correlate=False, **options):
    """SciPy's result, channel by channel for a colour image."""
    operation = scipy.signal.correlate2d if correlate else scipy.signal.convolve2d
    if image.ndim == 2:
        return operation(image, kernel, **options)
    return np.stack([operation(image[..., c], kernel, **options) for c in range(image.shape[2])],
                    axis=-1)


@st.composite
def cases(draw):
    h, w = draw(st.integers(1, 14)), draw(st.integers(1, 14))
    kh, kw = draw(st.integers(1, 6)), draw(st.integers(1, 6))
    mode = draw(st.sampled_from(MODES))
    if mode == "valid":
        kh, kw = min(kh, h), min(kw, w)
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    shape = (h, w, 2) if draw(st.booleans()) else (h, w)
    image = rng.normal(size=shape)
    kernel = np.outer(rng.normal(size=kh), rng.normal(size=kw))  # rank 1: every route applies
    options = {"mode": mode, "boundary": draw(st.sampled_from(BOUNDARIES)),
               "fillvalue": draw(st.floats(-2, 2))}
    return image, kernel, options, draw(st.booleans())


@settings(max_examples=60, deadline=None)
@given(case=cases(), route=st.sampled_from(ROUTES))
def test_every_route_matches_scipy_and_the_lesson(case, route):
    image, kernel, options, correlate = case
    ours = run(route, image, kernel, correlate=correlate, **options)
    np.testing.assert_allclose(ours, scipy_reference(image, kernel, correlate=correlate, **options),
                               rtol=0, atol=1e-10)
    lesson = conv.correlate2d if correlate else conv.convolve2d
    np.testing.assert_allclose(ours, lesson(image, kernel, method=route, **options), rtol=0,
                               atol=1e-10)


def test_convolve2d_auto_is_the_engine():
    rng = np.random.default_rng(0)
    image = rng.random((40, 30))
    for kernel in (rng.normal(size=(3, 3)), np.outer([1.0, 2, 1], [1.0, 0, -1]),
                   rng.normal(size=(13, 13))):
        route = conv.choose_method(kernel)
        np.testing.assert_array_equal(conv.convolve2d(image, kernel), run(route, image, kernel))


@pytest.mark.parametrize("route", ["vectorized", "fft"])
def test_a_full_rank_kernel_on_the_direct_and_fft_routes(route):
    rng = np.random.default_rng(2)
    image, kernel = rng.random((33, 29, 3)), rng.normal(size=(5, 4))
    for mode in MODES:
        for correlate in (False, True):
            np.testing.assert_allclose(
                run(route, image, kernel, mode=mode, boundary="wrap", correlate=correlate),
                scipy_reference(image, kernel, mode=mode, boundary="wrap", correlate=correlate),
                atol=1e-10)


def test_a_route_that_cannot_run_is_refused():
    padding = Padding()
    with pytest.raises(ValueError, match="`route` must be"):
        engine.convolve(np.ones((4, 4)), np.eye(3), padding, route="separable")  # no split
    with pytest.raises(ValueError, match="`route` must be"):
        engine.convolve(np.ones((4, 4)), np.eye(3), padding, route="naive")


def test_strategy_for_crossovers():
    assert engine.strategy_for((15, 15), rank_one=True) == "separable"  # 30 taps
    assert engine.strategy_for((15, 16), rank_one=True) == "fft"
    assert engine.strategy_for((11, 11), rank_one=False) == "vectorized"  # 121 entries
    assert engine.strategy_for((11, 12), rank_one=False) == "fft"


@pytest.mark.parametrize("size", [1, 2, 5, 11, 13])
def test_blocks_of_rows_cover_tall_and_wide_images(size):
    """The direct routes work in blocks of rows: check images of many shapes."""
    rng = np.random.default_rng(size)
    kernel = rng.normal(size=(size, 3))
    for shape in ((700, 5), (5, 700), (300, 257, 2)):
        image = rng.random(shape)
        ours = run("vectorized", image, kernel, boundary="symm")
        np.testing.assert_allclose(ours, scipy_reference(image, kernel, mode="same",
                                                         boundary="symm"), atol=1e-10)
        separable = np.outer(kernel[:, 0], [1.0, -2.0, 0.5])
        np.testing.assert_allclose(run("separable", image, separable, boundary="symm"),
                                   scipy_reference(image, separable, mode="same", boundary="symm"),
                                   atol=1e-10)


@pytest.mark.parametrize("boundary", BOUNDARIES)
@pytest.mark.parametrize("kernel_shape", [(3, 3), (4, 7), (15, 2), (30, 30)])
@pytest.mark.parametrize("correlate", [False, True])
def test_fft_same_mode_interior_and_border_bands(boundary, kernel_shape, correlate):
    """In "same" mode the FFT route filters the interior and the border bands separately."""
    rng = np.random.default_rng(11)
    image, kernel = rng.normal(size=(37, 41, 2)), rng.normal(size=kernel_shape)
    ours = run("fft", image, kernel, boundary=boundary, fillvalue=0.3, correlate=correlate)
    np.testing.assert_allclose(ours, scipy_reference(image, kernel, mode="same", boundary=boundary,
                                                     fillvalue=0.3, correlate=correlate),
                               atol=1e-10)


@pytest.mark.parametrize("shape", [(200, 300), (60, 512, 3)])  # many blocks of rows each
@pytest.mark.parametrize("kernel_shape", [(3, 3), (2, 4), (5, 1), (1, 5), (4, 4), (7, 7)])
@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_large_images_in_blocks_equal_scipy(shape, kernel_shape, boundary):
    """Images big enough for many blocks: the middle blocks read the image's rows in place and
    sum along whole rows, then the edge columns are redone (see course_lib/engine/blocks.py)."""
    rng = np.random.default_rng(sum(shape) + sum(kernel_shape))
    image = rng.random(shape)
    kernel = rng.normal(size=kernel_shape)
    views = {"contiguous": image, "strided view": image[:, ::-1]}  # the second is copied first
    for label, picture in views.items():
        for correlate in (False, True):
            for mode in MODES:
                ours = run("vectorized", picture, kernel, mode=mode, boundary=boundary,
                           correlate=correlate)
                expected = scipy_reference(picture, kernel, mode=mode, boundary=boundary,
                                           correlate=correlate)
                np.testing.assert_allclose(ours, expected, atol=1e-10,
                                           err_msg=f"{label} correlate={correlate} {mode}")


def test_repeated_calls_reuse_scratch_memory_and_give_the_same_numbers():
    rng = np.random.default_rng(5)
    image, kernel = rng.random((300, 200)), rng.normal(size=(3, 3))
    first = run("vectorized", image, kernel)
    wide = run("vectorized", rng.random((20, 3000)), kernel)  # a larger scratch array meanwhile
    assert wide.shape == (20, 3000)
    np.testing.assert_array_equal(run("vectorized", image, kernel), first)


# ----------------------------------------------------------------------------------- PNG


def decode(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)))


@pytest.mark.parametrize("pieces", [1, 2, 3, 4, 7])
@pytest.mark.parametrize("size", [0, 1, 1000, 300_001])
def test_deflate_pieces_rejoin_into_one_zlib_stream(pieces, size):
    """However many pieces the data is cut into, zlib reads one valid stream back."""
    data = np.random.default_rng(size).integers(0, 4, size, dtype=np.uint8)
    assert zlib.decompress(png.deflate(data.data, pieces=pieces)) == data.tobytes()


@settings(max_examples=60, deadline=None)
@given(arrays(np.uint8, st.tuples(st.integers(1, 40), st.integers(1, 40), st.sampled_from([1, 3, 4]))))
def test_encode_png_round_trips_through_pillow(pixels):
    if pixels.shape[2] == 1:
        pixels = pixels[:, :, 0]
    assert np.array_equal(decode(png.encode_png(pixels)), pixels)


def test_encode_png_on_a_photo_and_a_strided_view():
    from course_lib.images import sample_image

    photo = to_uint8(sample_image("astronaut"))
    assert np.array_equal(decode(png.encode_png(photo)), photo)
    view = photo[::3, ::2, ::-1]  # not contiguous
    assert np.array_equal(decode(png.encode_png(view)), view)


@pytest.mark.parametrize(("bad", "error", "words"), [
    (np.zeros((4, 4)), TypeError, "uint8"),
    ([[1, 2]], TypeError, "uint8"),
    (np.zeros((4, 4, 2), np.uint8), ValueError, "(H, W, 3)"),
    (np.zeros((0, 4), np.uint8), ValueError, "H, W > 0"),
    (np.zeros(4, np.uint8), ValueError, "got (4,)"),
])
def test_encode_png_bad_input(bad, error, words):
    with pytest.raises(error, match="pixels") as info:
        png.encode_png(bad)
    assert words in str(info.value)


def idat_payload(encoded: bytes) -> bytes:
    """The zlib stream of a PNG with one IDAT chunk."""
    start = encoded.index(b"IDAT")
    length = int.from_bytes(encoded[start - 4:start], "big")
    return encoded[start + 4:start + 4 + length]


def test_a_large_picture_is_deflated_in_pieces_into_one_valid_stream():
    rng = np.random.default_rng(0)
    photo = rng.integers(0, 256, size=(600, 700, 3), dtype=np.uint8)
    photo[200:400] = 7  # a flat band: runs of zeros after the Up filter
    encoded = png.encode_png(photo)
    assert np.array_equal(decode(encoded), photo)
    rows = zlib.decompress(idat_payload(encoded))  # Python's zlib checks the Adler-32 checksum
    assert len(rows) == 600 * (700 * 3 + 1)


def _encode(pixels):  # module-level: a pool's child finds it by name
    return png.encode_png(pixels)


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="fork is POSIX only")
def test_a_forked_child_encodes_large_pictures_with_its_own_threads():
    import multiprocessing

    photo = np.random.default_rng(1).integers(0, 256, size=(512, 512, 3), dtype=np.uint8)
    png.encode_png(photo)  # the parent's pool now exists (on a multi-core CPU)
    png.deflate(png.up_filtered(photo).reshape(-1).data, pieces=2)  # and on any CPU
    context = multiprocessing.get_context("fork")
    with context.Pool(1) as pool:  # the child inherits the pool object, not its threads
        encoded = pool.apply_async(_encode, (photo,)).get(timeout=60)
    assert np.array_equal(decode(encoded), photo)
