"""Tests of course_lib.augmentation: flips against NumPy, shifts against np.roll with the wrapped
edge cleared, crops against a plain loop over the images, and the random transformations' spread
of outcomes; bad input gets a clear error."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from course_lib import augmentation as A


def batch(n=3, c=2, h=5, w=6, seed=0) -> torch.Tensor:
    return torch.from_numpy(np.random.default_rng(seed).normal(size=(n, c, h, w)).astype(np.float32))


def test_flips_match_numpy_and_undo_themselves():
    x = batch()
    np.testing.assert_array_equal(A.hflip(x).numpy(), x.numpy()[..., ::-1])
    np.testing.assert_array_equal(A.vflip(x).numpy(), x.numpy()[..., ::-1, :])
    assert torch.equal(A.hflip(A.hflip(x)), x)
    assert torch.equal(A.vflip(A.vflip(x)), x)
    assert torch.equal(A.hflip(x.numpy()), A.hflip(x))  # an array is accepted too


def rolled_reference(x: np.ndarray, dy: int, dx: int, fill: float) -> np.ndarray:
    """np.roll, then the rows and columns that wrapped around set to ``fill``."""
    out = np.roll(x, (dy, dx), axis=(-2, -1)).copy()
    h, w = x.shape[-2:]
    if dy > 0:
        out[..., :min(dy, h), :] = fill
    elif dy < 0:
        out[..., max(h + dy, 0):, :] = fill
    if dx > 0:
        out[..., :, :min(dx, w)] = fill
    elif dx < 0:
        out[..., :, max(w + dx, 0):] = fill
    return out


@pytest.mark.parametrize(("dy", "dx"), [(0, 0), (1, 0), (0, -2), (2, 3), (-1, -1), (-4, 5), (5, 0),
                                    (0, 6), (-9, 2)])
def test_shift_is_roll_without_wrapping(dy, dx):
    x = batch()
    expected = rolled_reference(x.numpy(), dy, dx, fill=-0.5) if abs(dy) < 5 and abs(dx) < 6 \
        else np.full_like(x.numpy(), -0.5)
    np.testing.assert_array_equal(A.shift(x, dy, dx, fill=-0.5).numpy(), expected)


def test_shift_keeps_the_pixels_that_stay_in_the_frame():
    image = torch.zeros(1, 1, 8, 8)
    image[0, 0, 2:5, 3] = 1.0  # a short vertical stroke
    moved = A.shift(image, 1, 2)
    assert float(moved.sum()) == 3.0
    assert torch.equal(torch.nonzero(moved[0, 0]), torch.tensor([[3, 5], [4, 5], [5, 5]]))


def test_random_crop_matches_a_loop_over_the_images():
    x = batch(n=7, c=3, h=6, w=5)
    size, padding, fill = (4, 5), 2, 0.25
    crops = A.random_crop(x, size, padding=padding, fill=fill,
                          generator=torch.Generator().manual_seed(3))
    generator = torch.Generator().manual_seed(3)  # the same draws, in the same order
    top = torch.randint(0, 6 + 4 - 4 + 1, (7,), generator=generator)
    left = torch.randint(0, 5 + 4 - 5 + 1, (7,), generator=generator)
    padded = np.pad(x.numpy(), ((0, 0), (0, 0), (2, 2), (2, 2)), constant_values=fill)
    for i in range(7):
        expected = padded[i, :, top[i]:top[i] + 4, left[i]:left[i] + 5]
        np.testing.assert_array_equal(crops[i].numpy(), expected)


def test_random_shift_reaches_every_offset_and_is_a_shift():
    image = torch.zeros(1, 1, 5, 5)
    image[0, 0, 2, 2] = 1.0
    moved = A.random_shift(image.repeat(400, 1, 1, 1), 2, generator=torch.Generator().manual_seed(0))
    places = {tuple(torch.nonzero(m[0])[0].tolist()) for m in moved}
    assert places == {(r, c) for r in range(5) for c in range(5)}  # offsets -2..2 each way
    for m in moved[:20]:
        r, c = torch.nonzero(m[0])[0].tolist()
        assert torch.equal(m, A.shift(image, r - 2, c - 2)[0])


def test_random_flip_flips_about_half_and_only_as_asked():
    x = torch.arange(4.0).reshape(1, 1, 2, 2).repeat(1000, 1, 1, 1)
    flipped = A.random_flip(x, horizontal=True, generator=torch.Generator().manual_seed(0))
    mirrored = (flipped == A.hflip(x)).all(dim=(1, 2, 3))
    kept = (flipped == x).all(dim=(1, 2, 3))
    assert bool((mirrored | kept).all())
    assert 400 < int(mirrored.sum()) < 600
    both = A.random_flip(x, horizontal=True, vertical=True, generator=torch.Generator().manual_seed(1))
    variants = {tuple(m.flatten().tolist()) for m in both}
    assert len(variants) == 4
    assert torch.equal(A.random_flip(x, horizontal=False), x)


def test_augmentation_is_reproducible_with_a_generator_and_changes_with_the_draw():
    x = batch(n=20, c=1, h=8, w=8)
    augment = A.Augmentation(hflip=True, max_shift=1, fill=-1.0)
    first = augment(x, generator=torch.Generator().manual_seed(5))
    again = augment(x, generator=torch.Generator().manual_seed(5))
    assert torch.equal(first, again)
    generator = torch.Generator().manual_seed(5)
    assert not torch.equal(augment(x, generator=generator), augment(x, generator=generator))
    assert torch.equal(A.Augmentation()(x), x)  # nothing chosen: nothing changes


@pytest.mark.parametrize(("call", "message"), [
    (lambda: A.hflip(torch.zeros(3, 3)), "`images` must be a batch of images of shape (N, C, H, W)"),
    (lambda: A.hflip("abc"), "`images` must be a batch of images"),
    (lambda: A.vflip(np.full((1, 1, 2, 2), np.nan)), "NaN"),
    (lambda: A.shift(torch.zeros(1, 1, 3, 3), 1.5, 0), "`dy` must be an integer"),
    (lambda: A.shift(torch.zeros(1, 1, 3, 3), 0, 1, fill=float("inf")), "`fill` must be finite"),
    (lambda: A.random_crop(torch.zeros(1, 1, 3, 3), 6, padding=1), "`size` (6, 6) is larger"),
    (lambda: A.random_crop(torch.zeros(1, 1, 3, 3), (2, 2, 2)), "`size` must be an int or a pair"),
    (lambda: A.random_crop(torch.zeros(1, 1, 3, 3), 2, generator=0), "`generator` must be"),
    (lambda: A.random_shift(torch.zeros(1, 1, 3, 3), -1), "`max_shift` must be at least 0"),
    (lambda: A.random_flip(torch.zeros(1, 1, 3, 3), horizontal="yes"), "`horizontal` must be True"),
    (lambda: A.Augmentation(hflip=1), "`hflip` must be True or False"),
])
def test_bad_input_gets_a_clear_error(call, message):
    with pytest.raises((ValueError, TypeError)) as error:
        call()
    assert message in str(error.value)
