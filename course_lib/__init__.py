"""course_lib: the code behind the interactive computer-vision deep-learning course.

One module per topic:

- ``images``      offline sample images and grey/float conversion
- ``conv``        convolution and correlation from scratch (naive, flip, vectorized, FFT, separable)
- ``filters``     kernel builders and edge operators, thin over ``conv``
- ``activations`` activation functions and their derivatives
- ``data``        data sets (digits, generated shapes, IDX files) and preprocessing
- ``models``      AlexNet, VGG, the tiny CNN, layer arithmetic and layer tables
- ``train``       the trainer: history, live plot, checkpoints
- ``widgets``     ipywidgets apps, thin over pure functions
- ``exercises``   self-checking exercises and quizzes
- ``plotting``    figures and PNG rendering shared by the chapters

Submodules are imported on demand (``from course_lib import conv``), so importing the
package itself is cheap.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
