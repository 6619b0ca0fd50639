"""Data augmentation written out: flips, shifts and crops of a batch of images.

Augmentation trains on transformed copies of the training images, drawn anew at every epoch, so
a network with few examples sees more variety than the examples hold. A transformation is only
useful if it **keeps the label**: a shifted 3 is still a 3, a mirrored 3 is not a digit at all,
and a 6 turned upside down is a 9. Which transformations keep a label depends on the data: a
mirrored triangle is still a triangle.

- :func:`hflip`, :func:`vflip`: mirror every image left-right or top-bottom;
- :func:`shift`: move every image by a whole number of pixels, filling what is uncovered;
- :func:`random_crop`: a window of each image at a random place (after padding), the crop of
  AlexNet and of the CIFAR recipes; :func:`random_shift` is the crop that keeps the size;
- :func:`random_flip`: each image mirrored, or not, at random;
- :class:`Augmentation`: a choice of the above, applied to a batch with a random generator.

Images are a batch ``(N, C, H, W)``, a tensor or an array; the results are float tensors.
Shown in chapter 4, section 4.4 (notebooks/04_training_part_2.ipynb).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ._checks import check_bool, check_int, check_real
from ._types import Batch

__all__ = ["Augmentation", "hflip", "random_crop", "random_flip", "random_shift", "shift",
           "vflip"]


def _as_images(images: Batch, name: str = "images") -> torch.Tensor:
    """Check a batch of images and return it as a float tensor (N, C, H, W)."""
    if isinstance(images, (str, bytes)) or images is None:
        raise TypeError(f"`{name}` must be a batch of images (N, C, H, W), a tensor or an array; "
                        f"got {type(images).__name__}.")
    if not isinstance(images, torch.Tensor):
        try:
            array = np.asarray(images)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"`{name}` must be a rectangular batch of images (N, C, H, W).") from exc
        if array.dtype.kind not in "biuf":
            raise TypeError(f"`{name}` must hold real numbers; got dtype {array.dtype}.")
        images = torch.from_numpy(array.astype(np.float32))
    if images.ndim != 4:
        raise ValueError(f"`{name}` must be a batch of images of shape (N, C, H, W); got shape "
                         f"{tuple(images.shape)}.")
    if images.numel() == 0:
        raise ValueError(f"`{name}` must not be empty; got shape {tuple(images.shape)}.")
    if images.is_complex():
        raise TypeError(f"`{name}` must hold real numbers; got dtype {images.dtype}.")
    if not torch.is_floating_point(images):
        images = images.float()
    if not bool(torch.isfinite(images).all()):
        raise ValueError(f"`{name}` must not contain NaN or infinity.")
    return images


def _check_generator(generator) -> torch.Generator | None:
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"`generator` must be a torch.Generator or None; got "
                        f"{type(generator).__name__}.")
    return generator


def hflip(images: Batch) -> torch.Tensor:
    """Mirror every image left-right (the last axis reversed).

    Examples
    --------
    >>> hflip(torch.tensor([[[[1.0, 2.0, 3.0]]]]))
    tensor([[[[3., 2., 1.]]]])
    """
    return _as_images(images).flip(-1)


def vflip(images: Batch) -> torch.Tensor:
    """Mirror every image top-bottom (the rows reversed).

    Examples
    --------
    >>> vflip(torch.tensor([[[[1.0], [2.0]]]]))
    tensor([[[[2.],
              [1.]]]])
    """
    return _as_images(images).flip(-2)


def shift(images: Batch, dy: int, dx: int, *, fill: float = 0.0) -> torch.Tensor:
    """Move every image ``dy`` pixels down and ``dx`` pixels right, filling the uncovered edge.

    What moves out of the frame is lost (nothing wraps around to the other side, as
    ``np.roll`` would); the pixels uncovered on the opposite side get the value ``fill`` (the
    background: 0 for the raw digits).

    Parameters
    ----------
    images : array or tensor (N, C, H, W)
        The batch.
    dy, dx : int
        Pixels down and right; negative values move up and left.
    fill : float
        Value of the uncovered pixels.

    Returns
    -------
    torch.Tensor
        The shifted batch, the same shape.

    Examples
    --------
    >>> image = torch.arange(1.0, 10.0).reshape(1, 1, 3, 3)
    >>> shift(image, 1, -1)[0, 0]
    tensor([[0., 0., 0.],
            [2., 3., 0.],
            [5., 6., 0.]])
    """
    x = _as_images(images)
    height, width = x.shape[-2:]
    dy = check_int(dy, "dy", minimum=-(2**31), maximum=2**31)
    dx = check_int(dx, "dx", minimum=-(2**31), maximum=2**31)
    fill = check_real(fill, "fill")
    out = torch.full_like(x, fill)
    if abs(dy) >= height or abs(dx) >= width:
        return out  # moved entirely out of the frame
    out[..., max(dy, 0):height + min(dy, 0), max(dx, 0):width + min(dx, 0)] = \
        x[..., max(-dy, 0):height + min(-dy, 0), max(-dx, 0):width + min(-dx, 0)]
    return out


def _size_pair(size, name: str) -> tuple[int, int]:
    if isinstance(size, (tuple, list)):
        if len(size) != 2:
            raise ValueError(f"`{name}` must be an int or a pair (height, width); got {size!r}.")
        return (check_int(size[0], name, minimum=1, maximum=2**16),
                check_int(size[1], name, minimum=1, maximum=2**16))
    value = check_int(size, name, minimum=1, maximum=2**16)
    return value, value


def random_crop(images: Batch, size: int | tuple[int, int], *, padding: int = 0,
                fill: float = 0.0, generator: torch.Generator | None = None) -> torch.Tensor:
    """Cut a ``size`` window out of each image at a random place, after padding its border.

    Each image is first padded with ``padding`` pixels of value ``fill`` on every side, then a
    window of ``size`` is cut at a position drawn uniformly, independently for each image.
    AlexNet cut 224x224 crops out of 256x256 images; the CIFAR recipes pad 32x32 images by 4
    and crop 32x32 again (:func:`random_shift`).

    Parameters
    ----------
    images : array or tensor (N, C, H, W)
        The batch.
    size : int or (int, int)
        Height and width of the crops; at most the padded size.
    padding : int
        Pixels of ``fill`` added on every side before cropping.
    fill : float
        Value of the padding.
    generator : torch.Generator, optional
        Source of the random positions (the global one when None).

    Returns
    -------
    torch.Tensor
        (N, C, size, size) crops.

    Examples
    --------
    >>> image = torch.arange(16.0).reshape(1, 1, 4, 4)
    >>> random_crop(image, 4, padding=0)[0, 0, 0]   # the whole image: one place only
    tensor([0., 1., 2., 3.])
    >>> tuple(random_crop(image.repeat(5, 1, 1, 1), 2, generator=torch.Generator().manual_seed(0)).shape)
    (5, 1, 2, 2)
    """
    x = _as_images(images)
    crop_h, crop_w = _size_pair(size, "size")
    padding = check_int(padding, "padding", minimum=0, maximum=2**10)
    fill = check_real(fill, "fill")
    generator = _check_generator(generator)
    n, _, height, width = x.shape
    if crop_h > height + 2 * padding or crop_w > width + 2 * padding:
        raise ValueError(f"`size` {(crop_h, crop_w)} is larger than the padded images, "
                         f"{(height + 2 * padding, width + 2 * padding)} (`padding`={padding}).")
    padded = torch.nn.functional.pad(x, (padding,) * 4, value=fill)  # (N, C, H + 2p, W + 2p)
    top = torch.randint(0, height + 2 * padding - crop_h + 1, (n,), generator=generator)  # (N,)
    left = torch.randint(0, width + 2 * padding - crop_w + 1, (n,), generator=generator)  # (N,)
    rows = top[:, None] + torch.arange(crop_h)  # (N, crop_h)
    cols = left[:, None] + torch.arange(crop_w)  # (N, crop_w)
    batch = torch.arange(n)[:, None, None]  # (N, 1, 1)
    crops = padded.permute(0, 2, 3, 1)[batch, rows[:, :, None], cols[:, None, :]]  # (N, h, w, C)
    return crops.permute(0, 3, 1, 2).contiguous()  # (N, C, h, w)


def random_shift(images: Batch, max_shift: int, *, fill: float = 0.0,
                 generator: torch.Generator | None = None) -> torch.Tensor:
    """Shift each image by a random whole number of pixels, at most ``max_shift`` each way.

    The crop of the CIFAR recipes: pad by ``max_shift`` and crop the original size, so each
    image moves by ``dy, dx`` drawn uniformly from ``-max_shift .. max_shift``.

    Examples
    --------
    >>> image = torch.zeros(1, 1, 3, 3); image[0, 0, 1, 1] = 1.0
    >>> moved = random_shift(image.repeat(200, 1, 1, 1), 1, generator=torch.Generator().manual_seed(0))
    >>> sorted({tuple(int(i) for i in torch.nonzero(m[0])[0]) for m in moved})  # where the dot went
    [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2), (2, 0), (2, 1), (2, 2)]
    """
    x = _as_images(images)
    max_shift = check_int(max_shift, "max_shift", minimum=0, maximum=2**10)
    height, width = x.shape[-2:]
    return random_crop(x, (height, width), padding=max_shift, fill=fill, generator=generator)


def random_flip(images: Batch, *, horizontal: bool = True, vertical: bool = False,
                generator: torch.Generator | None = None) -> torch.Tensor:
    """Mirror each image with probability 1/2, left-right and/or top-bottom (independently).

    Examples
    --------
    >>> image = torch.tensor([[[[1.0, 2.0]]]]).repeat(100, 1, 1, 1)
    >>> flipped = random_flip(image, generator=torch.Generator().manual_seed(0))
    >>> sorted({tuple(m[0, 0].tolist()) for m in flipped})
    [(1.0, 2.0), (2.0, 1.0)]
    """
    x = _as_images(images)
    horizontal = check_bool(horizontal, "horizontal")
    vertical = check_bool(vertical, "vertical")
    generator = _check_generator(generator)
    out = x.clone()
    for enabled, axis in ((horizontal, -1), (vertical, -2)):
        if enabled:
            chosen = torch.rand(len(x), generator=generator) < 0.5  # (N,) which images to flip
            out[chosen] = out[chosen].flip(axis)
    return out


@dataclass(frozen=True)
class Augmentation:
    """A choice of random transformations, applied to a batch by calling it.

    Each call draws new random flips and shifts for every image, from ``generator``, so a
    training loop that calls it once per epoch shows the network a new version of each image
    every epoch (:func:`course_lib.validation.fit_validated` does).

    Examples
    --------
    >>> augment = Augmentation(max_shift=1)
    >>> augment
    Augmentation(hflip=False, vflip=False, max_shift=1, fill=0.0)
    >>> tuple(augment(torch.zeros(4, 1, 8, 8), generator=torch.Generator().manual_seed(0)).shape)
    (4, 1, 8, 8)
    >>> Augmentation(max_shift=-1)
    Traceback (most recent call last):
    ...
    ValueError: `max_shift` must be at least 0; got -1.
    """

    hflip: bool = False  # mirror left-right with probability 1/2
    vflip: bool = False  # mirror top-bottom with probability 1/2
    max_shift: int = 0  # shift by up to this many pixels each way (0: no shift)
    fill: float = 0.0  # value of the pixels a shift uncovers (the background)

    def __post_init__(self):
        check_bool(self.hflip, "hflip")
        check_bool(self.vflip, "vflip")
        check_int(self.max_shift, "max_shift", minimum=0, maximum=2**10)
        object.__setattr__(self, "fill", check_real(self.fill, "fill"))

    def __call__(self, images: Batch, *, generator: torch.Generator | None = None) -> torch.Tensor:
        """Return a randomly transformed copy of ``images`` (N, C, H, W)."""
        x = _as_images(images)
        if self.hflip or self.vflip:
            x = random_flip(x, horizontal=self.hflip, vertical=self.vflip, generator=generator)
        if self.max_shift:
            x = random_shift(x, self.max_shift, fill=self.fill, generator=generator)
        return x
