"""Models of the course: AlexNet, VGG, the tiny CNN, and the layer arithmetic that explains them.

- ``arithmetic`` one layer's output size, parameters, multiply-adds and receptive field
- ``shapes``   shapes through a model: does an input fit, the smallest input
- ``summary``  the layer table (``layer_table``)
- ``base``     ``TabledModel``, the base of AlexNet and VGG (checked input, printed as a table)
- ``alexnet``  AlexNet, torchvision layout and the 2012 paper's two-GPU layout
- ``vgg``      VGG-11/13/16/19 (configurations A, B, D, E), with a width multiplier
"""

from .alexnet import AlexNet, alexnet
from .arithmetic import (
    conv_multiply_adds,
    conv_output_size,
    conv_parameters,
    count_parameters,
    linear_multiply_adds,
    linear_parameters,
    pool_output_size,
    receptive_field,
    receptive_fields,
)
from .shapes import check_input_shape, layer_output_shape, min_input_size
from .summary import LayerRow, LayerTable, layer_table
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
