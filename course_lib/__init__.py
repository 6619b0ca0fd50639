"""course_lib: the code behind the interactive computer-vision deep-learning course.

One module per topic:

- ``images``      offline sample images and grey/float conversion
- ``conv``        convolution and correlation from scratch (naive, flip, vectorized, FFT, separable),
  and the gradients of a convolutional layer, for backpropagation
- ``padding``     SciPy's mode, boundary and fillvalue as one value: how a convolution pads
- ``im2col``      convolution as one matrix multiplication: the patch matrix and its cost
- ``filters``     kernel builders and edge operators, thin over ``conv``
- ``kernel_learning`` learning a kernel from examples by gradient descent (chapter 1, beyond the notes)
- ``pooling``     max and average pooling, and max pooling's gradient
- ``activations`` activation functions and their derivatives
- ``initialisation`` weight initialisation (zeros, Xavier, He) and activation statistics through depth
- ``normalisation`` batch normalisation written out, train and eval mode
- ``data``        data sets (digits, generated shapes, IDX files)
- ``preprocessing`` centring, standardising, PCA and whitening, fitted on the training split
- ``models``      AlexNet, VGG, the tiny CNN, layer arithmetic and layer tables
- ``diagnostics`` inside a network: feature statistics, weight-gradient norms, weight changes
- ``loss_landscape`` gradient descent on a linear model: the loss bowl and the path down it
- ``optim``       optimisers from scratch (SGD, momentum, Nesterov, RMSprop, Adam, AdamW)
- ``loss_surfaces`` optimisers' paths on 2-D loss surfaces (an ill-conditioned bowl, Rosenbrock)
- ``schedules``   learning-rate schedules (step, cosine, warm-up) and the learning-rate range test
- ``train``       the trainer: settings, training loop, evaluation, stopping
- ``history``     what a training run measured, and its plots
- ``checkpoints`` saving and resuming a model, its optimiser and its history
- ``widgets``     ipywidgets apps, thin over pure functions (and the live training plot)
- ``exercises``   self-checking exercises and quizzes
- ``grading``     the gradebook's parts: answers judged outside the student's kernel, the sandbox
- ``plotting``    figures and PNG rendering shared by the chapters
- ``claims``      claims about CPU-dependent results (training), checked in code
- ``frontend``    which front end and package versions a kernel runs with; ``doctor()``, for
                  when a widget does not show
- ``engine``      the speed machinery behind ``convolve2d(method="auto")``, the widgets' PNG
  encoder and the trainer's CPU threads; no lesson function calls it

Submodules are imported on demand (``from course_lib import conv``), so importing the
package itself is cheap. One function is at the top: ``course_lib.doctor()`` says why a widget
might not show, and what to do.
"""

from .frontend import doctor

__version__ = "0.1.0"

__all__ = ["__version__", "doctor"]
