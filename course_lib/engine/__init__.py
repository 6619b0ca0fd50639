"""The speed engine: the same results as the lessons, as fast as this course can make them.

The lessons (:mod:`course_lib.conv` and the others) write each idea plainly, as the notebooks
print it. What makes the interactive parts quick lives here, apart, and no lesson function
calls it: ``convolve2d(method="auto")``, the widgets and the trainer reach it.

- ``convolve``  the route ``method="auto"`` takes (the chooser, and the result, rounded to exact
  integers where SciPy's is)
- ``blocks``    the direct routes in cache-sized blocks: lazy padding, scratch buffers,
  shifted slices as a matrix product on strided views
- ``fft``       the FFT route: fast transform sizes, the border bands of "same" mode apart
- ``png``       the PNG encoder behind every widget update, deflating in parallel
- ``threads``   how many CPU threads PyTorch trains with (imported on its own: it loads torch)

Every route is checked in the tests against the lesson's strategy of the same name and against
SciPy; ``benchmarks/bench_conv.py`` times them.
"""

from .convolve import convolve, strategy_for
from .png import encode_png

__all__ = ["convolve", "encode_png", "strategy_for"]
