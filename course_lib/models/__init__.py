"""Models of the course: AlexNet, VGG, the tiny CNN, and the layer arithmetic that explains them.

- ``arithmetic`` one layer's output size, parameters, multiply-adds and receptive field
- ``shapes``   shapes through a model: does an input fit, the smallest input
- ``summary``  the layer table (``layer_table``)
- ``base``     ``TabledModel``, the base of AlexNet and VGG (checked input, printed as a table)
- ``alexnet``  AlexNet, torchvision layout and the 2012 paper's two-GPU layout
- ``vgg``      VGG-11/13/16/19 (configurations A, B, D, E), with a width multiplier
- ``heads``    a global-average-pooling head for AlexNet and VGG (``with_gap_head``)
- ``resnet``   ResNet-18/34/50, and the paper's small residual and plain networks
- ``receptive`` receptive fields through a graph (``graph_layer_table``) and effective ones
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
from .heads import with_gap_head
from .receptive import (
    effective_receptive_field,
    effective_size,
    graph_layer_table,
    graph_receptive_fields,
    support_size,
)
from .resnet import ResNet, SmallResNet, resnet18, resnet34, resnet50, small_resnet
from .shapes import check_input_shape, layer_output_shape, min_input_size
from .summary import LayerRow, LayerTable, layer_table
from .tiny import TinyCNN, tiny_cnn
from .vgg import VGG, vgg

__all__ = [
    "VGG",
    "AlexNet",
    "LayerRow",
    "LayerTable",
    "ResNet",
    "SmallResNet",
    "TinyCNN",
    "alexnet",
    "check_input_shape",
    "conv_multiply_adds",
    "conv_output_size",
    "conv_parameters",
    "count_parameters",
    "effective_receptive_field",
    "effective_size",
    "graph_layer_table",
    "graph_receptive_fields",
    "layer_output_shape",
    "layer_table",
    "linear_multiply_adds",
    "linear_parameters",
    "min_input_size",
    "pool_output_size",
    "receptive_field",
    "receptive_fields",
    "resnet18",
    "resnet34",
    "resnet50",
    "small_resnet",
    "support_size",
    "tiny_cnn",
    "vgg",
    "with_gap_head",
]
