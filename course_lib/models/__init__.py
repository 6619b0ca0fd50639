"""Models of the course: AlexNet, VGG, the tiny CNN, and the layer arithmetic that explains them.

- ``summary``  output size, receptive field, parameter and multiply-add counts, ``layer_table``
- ``alexnet``  AlexNet, torchvision layout and the 2012 paper's two-GPU layout
- ``vgg``      VGG-11/13/16/19 (configurations A, B, D, E), with a width multiplier
"""

from .alexnet import AlexNet, alexnet
from .summary import (
    LayerRow,
    LayerTable,
    check_input_shape,
    conv_multiply_adds,
    conv_output_size,
    conv_parameters,
    count_parameters,
    layer_output_shape,
    layer_table,
    linear_multiply_adds,
    linear_parameters,
    min_input_size,
    pool_output_size,
    receptive_field,
    receptive_fields,
)
from .tiny import TinyCNN, tiny_cnn
from .vgg import VGG, vgg

__all__ = [
    "VGG",
    "AlexNet",
    "LayerRow",
    "LayerTable",
    "TinyCNN",
    "alexnet",
    "check_input_shape",
    "conv_multiply_adds",
    "conv_output_size",
    "conv_parameters",
    "count_parameters",
    "layer_output_shape",
    "layer_table",
    "linear_multiply_adds",
    "linear_parameters",
    "min_input_size",
    "pool_output_size",
    "receptive_field",
    "receptive_fields",
    "tiny_cnn",
    "vgg",
]
