"""How a convolution treats the image's border: SciPy's ``mode``, ``boundary`` and ``fillvalue``.

``scipy.signal.convolve2d`` takes three arguments that always travel together: ``mode``, how
large the output is; ``boundary``, what the pixels outside the image are; and ``fillvalue``, the
constant of ``boundary="fill"``. A :class:`Padding` holds the three, checked once, and answers
what every convolution asks of them: how many rows and columns to add on each side of the image
(:meth:`Padding.widths`), so that a "valid" convolution of the padded image gives the output
``mode`` asks for, and what NumPy and SciPy call the boundary.

>>> Padding("same", "wrap").widths((3, 4))
((1, 1), (2, 1))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ._checks import check_choice, check_int_pair, check_real

__all__ = ["BOUNDARIES", "MODES", "PadMode", "Padding"]

MODES = ("full", "same", "valid")
BOUNDARIES = ("fill", "wrap", "symm")

PadMode = Literal["constant", "wrap", "symmetric"]
"""A boundary as ``numpy.pad`` names it."""

# Each boundary as numpy.pad and scipy.ndimage name it.
_NUMPY_MODES: dict[str, PadMode] = {"fill": "constant", "wrap": "wrap", "symm": "symmetric"}
_NDIMAGE_MODES = {"fill": "constant", "wrap": "grid-wrap", "symm": "reflect"}


@dataclass(frozen=True)
class Padding:
    """SciPy's three border settings of a convolution, as one checked value.

    Examples
    --------
    >>> Padding()
    Padding(mode='same', boundary='fill', fillvalue=0.0)
    >>> Padding("full").widths((3, 3))
    ((2, 2), (2, 2))
    >>> Padding(mode="sane")
    Traceback (most recent call last):
    ...
    ValueError: `mode` must be one of 'full', 'same', 'valid'; got 'sane'.
    """

    mode: str = "same"  # output size: "full" (every overlap), "same" (the image's), "valid" (kernel inside)
    boundary: str = "fill"  # pixels outside: "fill" (fillvalue), "wrap" (periodic), "symm" (mirrored)
    fillvalue: float = 0.0  # the constant of boundary="fill"

    def __post_init__(self) -> None:
        object.__setattr__(self, "mode", check_choice(self.mode, "mode", MODES))
        object.__setattr__(self, "boundary", check_choice(self.boundary, "boundary", BOUNDARIES))
        object.__setattr__(self, "fillvalue", check_real(self.fillvalue, "fillvalue"))

    def widths(self, kernel_shape: tuple[int, int], *, correlate: bool = False
               ) -> tuple[tuple[int, int], tuple[int, int]]:
        """Rows ``(top, bottom)`` and columns ``(left, right)`` to add around the image.

        "full" adds ``kh - 1`` rows on top and bottom, "valid" adds none, and "same" adds
        ``kh - 1`` in total, split like SciPy: for an even kernel the extra row goes on top for
        a convolution and at the bottom for a correlation (columns likewise).

        >>> Padding("same").widths((2, 4)), Padding("same").widths((2, 4), correlate=True)
        (((1, 0), (2, 1)), ((0, 1), (1, 2)))
        """
        kh, kw = check_int_pair(kernel_shape, "kernel_shape")
        return self._axis(kh, correlate), self._axis(kw, correlate)

    def _axis(self, size: int, correlate: bool) -> tuple[int, int]:
        if self.mode == "full":
            return size - 1, size - 1
        if self.mode == "valid":
            return 0, 0
        before, after = size - 1 - (size - 1) // 2, (size - 1) // 2
        return (after, before) if correlate else (before, after)

    @property
    def numpy_mode(self) -> PadMode:
        """The boundary as ``numpy.pad`` names it: "constant", "wrap" or "symmetric"."""
        return _NUMPY_MODES[self.boundary]

    @property
    def ndimage_mode(self) -> str:
        """The boundary as ``scipy.ndimage`` names it: "constant", "grid-wrap" or "reflect"."""
        return _NDIMAGE_MODES[self.boundary]
