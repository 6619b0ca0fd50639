"""Chapter 2 exercises (CNN architectures): output sizes, parameter counts, receptive fields.

>>> from course_lib.exercises import ch2
>>> _ = ch2.receptive_field.check(7)
Correct: rf = 7.
"""

from __future__ import annotations

import itertools

from ..models import arithmetic as _arithmetic
from ._core import Case, Exercise, FunctionCheck, Mistake, ValueCheck, compare_ints
from .quiz import Choice, MultipleChoice, NumericQuestion, Quiz, quiz_widget

__all__ = ["QUIZ", "conv_params", "output_size", "quiz", "receptive_field", "vgg16_params"]


# --------------------------------------------------------------------------- arithmetic
# The exercises' references, in the students' signatures, are thin over the library's own
# layer arithmetic (course_lib.models.arithmetic): each idea is written once.


def _output_size_reference(n: int, kernel: int, padding: int = 0, stride: int = 1) -> int:
    """Output size of a convolution or pooling, rounded down as ``nn.Conv2d`` does.

    >>> _output_size_reference(227, 11, 0, 4)  # AlexNet's first layer
    55
    """
    return _arithmetic.conv_output_size(n, kernel, stride=stride, padding=padding, rounding="floor")


def _conv_params_reference(in_channels: int, out_channels: int, kernel_size: int,
                           bias: bool = True) -> int:
    """Weights (and biases) of a square-kernel ``nn.Conv2d``.

    >>> _conv_params_reference(64, 128, 3)
    73856
    """
    return _arithmetic.conv_parameters(in_channels, out_channels, kernel_size, bias=bias)


def _stacked_receptive_field(kernels, strides=None) -> int:
    """Receptive field of stacked convolutions: ``1 + sum((k_i - 1) * prod(strides before i))``.

    >>> _stacked_receptive_field([3, 3, 3])
    7
    """
    kernels = list(kernels)
    strides = [1] * len(kernels) if strides is None else list(strides)
    if len(strides) != len(kernels):
        raise ValueError(f"`strides` must have one entry per kernel ({len(kernels)}); "
                         f"got {len(strides)}.")
    return _arithmetic.receptive_field(list(zip(kernels, strides, strict=True)))


VGG16_CONVS = (64, 64, "M", 128, 128, "M", 256, 256, 256, "M",
               512, 512, 512, "M", 512, 512, 512, "M")
"""VGG-16 (configuration D): output channels of each 3x3 convolution, ``"M"`` a max-pool."""
VGG16_FC = (512 * 7 * 7, 4096, 4096, 1000)
"""Widths of VGG-16's classifier: flattened 512x7x7 features, two hidden layers, 1000 classes."""


def _vgg16_parameter_counts(*, bias: bool = True) -> dict[str, int]:
    """Parameters of VGG-16 for 224x224 ImageNet input, split into convolutions and classifier.

    >>> _vgg16_parameter_counts()
    {'conv': 14714688, 'fc': 123642856, 'first_fc': 102764544, 'total': 138357544}
    """
    conv, channels = 0, 3
    for width in VGG16_CONVS:
        if isinstance(width, str):  # "M", a max-pool
            continue
        conv += _arithmetic.conv_parameters(channels, width, 3, bias=bias)
        channels = width
    layers = [_arithmetic.linear_parameters(a, b, bias=bias) for a, b in itertools.pairwise(VGG16_FC)]
    return {"conv": conv, "fc": sum(layers), "first_fc": layers[0],
            "total": conv + sum(layers)}


# --------------------------------------------------------------------------- output_size


def _output_size_cases() -> list[Case]:
    return [Case(args) for args in [
        (32, 3, 1, 1), (227, 11, 0, 4), (224, 11, 2, 4), (28, 5, 0, 1), (7, 3, 0, 2),
        (8, 3, 1, 2), (13, 3, 1, 1), (10, 4, 0, 3), (64, 7, 3, 2), (224, 2, 0, 2)]]


output_size = Exercise(
    "ch2.output_size",
    statement=(
        "Write `my_output_size(n, kernel, padding, stride)` returning the output width of a "
        "convolution on an `n`-pixel-wide input, exactly as `nn.Conv2d` computes it: "
        "$\\left\\lfloor \\frac{n + 2p - k}{s} \\right\\rfloor + 1$. Return an `int`."),
    checker=FunctionCheck(
        _output_size_reference, _output_size_cases, arg_names=("n", "kernel", "padding", "stride"),
        compare=compare_ints,
        mistakes=[
            Mistake(lambda n, k, p, s: (n + 2 * p - k) // s,
                    "you forgot the +1: the kernel's first position counts too (a 3-wide "
                    "kernel fits in 5 - 3 + 1 = 3 positions on a 5-wide input)."),
            Mistake(lambda n, k, p, s: (n + p - k) // s + 1,
                    "padding adds p pixels on *both* sides, so the padded width is n + 2p."),
            Mistake(lambda n, k, _p, s: (n - k) // s + 1,  # a mistake takes every argument
                    "you left out the padding: the padded input is n + 2p pixels wide."),
            Mistake(lambda n, k, p, s: -(-(n + 2 * p - k) // s) + 1,
                    "you rounded up; nn.Conv2d rounds down (floor): a kernel that would "
                    "stick out of the input is not applied."),
            Mistake(lambda n, k, p, s: round((n + 2 * p - k) / s) + 1,
                    "you rounded to the nearest integer; nn.Conv2d rounds down (floor, //)."),
            Mistake(lambda n, k, p, _s: n + 2 * p - k + 1,
                    "you ignored the stride: with stride s the kernel jumps s pixels, so "
                    "divide (n + 2p - k) by s before adding 1."),
        ],
        description="the nn.Conv2d formula"),
    hints=[
        "Without padding and with stride 1, a k-wide kernel fits in n - k + 1 positions.",
        "Padding p adds p pixels on each side: the input becomes n + 2p wide.",
        "With stride s, count the jumps: (n + 2p - k) // s of them, plus the first position.",
    ],
    solution=("def my_output_size(n, kernel, padding, stride):\n"
              "    return (n + 2 * padding - kernel) // stride + 1\n"),
    answer_name="my_output_size",
    starter=("def my_output_size(n, kernel, padding, stride):\n"
             "    ...  # your code here\n\n"
             "ch2.output_size.check(my_output_size)"),
)


# --------------------------------------------------------------------------- conv_params


def _conv_params_cases() -> list[Case]:
    return [Case((3, 64, 3)), Case((64, 128, 3)), Case((1, 6, 5)), Case((16, 32, 1)),
            Case((3, 96, 11)), Case((128, 256, 3), {"bias": False}),
            Case((256, 10, 1), {"bias": False}), Case((6, 16, 5), {"bias": True})]


conv_params = Exercise(
    "ch2.conv_params",
    statement=(
        "Write `my_conv_params(in_channels, out_channels, kernel_size, bias=True)` returning "
        "the number of learnable parameters of `nn.Conv2d(in_channels, out_channels, "
        "kernel_size, bias=bias)` with a square kernel."),
    checker=FunctionCheck(
        _conv_params_reference, _conv_params_cases,
        arg_names=("in_channels", "out_channels", "kernel_size"), compare=compare_ints,
        mistakes=[
            Mistake(lambda i, o, k, **_bias: o * i * k * k,  # a mistake takes every argument
                    "you forgot the biases: each output channel (each filter) has one bias, "
                    "so add out_channels when bias=True."),
            Mistake(lambda _i, o, k, bias=True: o * k * k + (o if bias else 0),
                    "you forgot the input channels: each filter spans all in_channels, so it "
                    "has in_channels * k * k weights."),
            Mistake(lambda i, o, k, bias=True: o * i * k + (o if bias else 0),
                    "a k x k kernel has k * k weights per input channel, not k."),
            Mistake(lambda i, o, k, **_bias: o * i * k * k + o,
                    "with bias=False there are no biases: count them only when bias is True."),
            Mistake(lambda i, o, k, bias=True: o * i * k * k + (i if bias else 0),
                    "there is one bias per *output* channel (per filter), not per input "
                    "channel."),
        ],
        description="the parameter count of nn.Conv2d"),
    hints=[
        "One filter produces one output channel; it looks at all input channels.",
        "One filter has in_channels * kernel_size * kernel_size weights, plus one bias.",
        "Multiply by out_channels; add the out_channels biases only when bias is True.",
    ],
    solution=("def my_conv_params(in_channels, out_channels, kernel_size, bias=True):\n"
              "    weights = out_channels * in_channels * kernel_size * kernel_size\n"
              "    return weights + (out_channels if bias else 0)\n"),
    answer_name="my_conv_params",
    starter=("def my_conv_params(in_channels, out_channels, kernel_size, bias=True):\n"
             "    ...  # your code here\n\n"
             "ch2.conv_params.check(my_conv_params)"),
)


# --------------------------------------------------------------------------- receptive_field

receptive_field = Exercise(
    "ch2.receptive_field",
    statement=(
        "VGG replaces large kernels by stacks of 3x3 convolutions. What is the receptive field "
        "(in pixels, along one side) of one output pixel after **three** stacked 3x3 "
        "convolutions with stride 1? Set `rf` to that number."),
    checker=ValueCheck(
        _stacked_receptive_field([3, 3, 3]), expects="a number of pixels (one side)",
        mistakes={
            9: "3 + 3 + 3 counts the overlap twice. Each extra 3x3 layer widens the field by "
               "2 pixels (one on each side): 3 + 2 + 2.",
            27: "with stride 1 receptive fields grow by adding, not multiplying: each extra "
                "3x3 layer adds 2 pixels.",
            5: "that is two layers (3 + 2). Add the third one.",
            3: "that is a single layer. Each further 3x3 layer adds 2 pixels.",
        }),
    hints=[
        "One 3x3 convolution sees 3 pixels along each side.",
        "A second 3x3 layer on top sees 3 pixels of the first layer, each seeing 3 input "
        "pixels, overlapping: 3 + 2 = 5.",
        "Each layer adds k - 1 = 2 pixels.",
    ],
    solution="rf = 1 + 3 * (3 - 1)  # each 3x3 layer with stride 1 adds 2 pixels\n",
    answer_name="rf",
    starter="rf = ...  # a number of pixels\n\nch2.receptive_field.check(rf)",
)


# --------------------------------------------------------------------------- vgg16_params

_VGG = _vgg16_parameter_counts()
_VGG_NO_BIAS = _vgg16_parameter_counts(bias=False)
_WHERE = (f"Most parameters live in the first fully connected layer: 512 x 7 x 7 = 25,088 inputs "
          f"times 4,096 outputs, {_VGG['first_fc']:,} parameters, about three quarters of the "
          f"total; all 13 convolutions hold only {_VGG['conv']:,}.")


def _vgg_advice(value: float) -> str | None:
    total = _VGG["total"]
    if abs(value * 1e6 - total) < 1e6:
        return "give the number of parameters itself, not in millions."
    if abs(value - total) <= 0.05 * total:
        return "close, but not exact: count layer by layer, biases included. " + _WHERE
    return _WHERE


vgg16_params = Exercise(
    "ch2.vgg16_params",
    statement=(
        "How many learnable parameters does VGG-16 have (configuration D, 224x224 RGB input, "
        "1000 ImageNet classes, biases included)? Compute it layer by layer and set "
        "`vgg16_count` to the exact number."),
    checker=ValueCheck(
        _VGG["total"], expects="an exact number of parameters", rtol=0, atol=0.5,
        mistakes={
            _VGG_NO_BIAS["total"]: f"you forgot the biases: {_VGG['total'] - _VGG_NO_BIAS['total']:,} "
                                   "of them, one per output channel or unit.",
            _VGG["conv"]: "those are only the 13 convolutions; the three fully connected "
                          f"layers add {_VGG['fc']:,}.",
            _VGG["fc"]: "those are only the three fully connected layers; the 13 "
                        f"convolutions add {_VGG['conv']:,}.",
        },
        advice=_vgg_advice),
    hints=[
        "A 3x3 convolution from c_in to c_out channels has c_out * (9 * c_in + 1) parameters.",
        "The convolutions go 3 -> 64, 64 -> 64, 64 -> 128, 128 -> 128, 128 -> 256 and two "
        "256 -> 256, 256 -> 512 and five 512 -> 512.",
        "After five poolings a 224x224 image is 7x7 with 512 channels: the first fully "
        "connected layer has 25,088 inputs. Then 4096 -> 4096 -> 1000.",
    ],
    solution=(
        "convs = [(3, 64), (64, 64), (64, 128), (128, 128), (128, 256), (256, 256), (256, 256),\n"
        "         (256, 512), (512, 512), (512, 512), (512, 512), (512, 512), (512, 512)]\n"
        "fcs = [(512 * 7 * 7, 4096), (4096, 4096), (4096, 1000)]\n"
        "vgg16_count = (sum(c_out * (c_in * 3 * 3 + 1) for c_in, c_out in convs)\n"
        "               + sum(n_out * (n_in + 1) for n_in, n_out in fcs))\n"),
    answer_name="vgg16_count",
    starter="vgg16_count = ...  # an exact number\n\nch2.vgg16_params.check(vgg16_count)",
)


# --------------------------------------------------------------------------- quiz

_C = 64  # channels used in the 3x3-versus-7x7 question

QUIZ = (
    NumericQuestion(
        "AlexNet's first layer applies 11x11 kernels with stride 4 and no padding to a "
        "227x227 image. How wide is its output?",
        answer=_output_size_reference(227, 11, 0, 4),
        explanation="(227 - 11) / 4 + 1 = 55.",
        mistakes=((54.0, "Don't forget the +1 for the first position."),
                  (57.0, "Divide by the stride: (227 - 11) // 4 + 1."),
                  (217.0, "That ignores the stride of 4."))),
    NumericQuestion(
        "How many parameters does nn.Conv2d(64, 128, kernel_size=3) have (with bias)?",
        answer=_conv_params_reference(64, 128, 3),
        explanation="128 filters of 64 x 3 x 3 weights plus 128 biases: 73,728 + 128 = 73,856.",
        mistakes=((float(_conv_params_reference(64, 128, 3, bias=False)),
                   "Almost: add one bias per output channel."),
                  (float(128 * 9 + 128), "Each filter spans all 64 input channels."))),
    MultipleChoice(
        "Why does VGG stack three 3x3 convolutions instead of using one 7x7 convolution?",
        (
            Choice("Same 7x7 receptive field, fewer parameters and more non-linearities.",
                   f"Yes: with C channels, 3 · 9C² = "
                   f"{3 * _arithmetic.conv_parameters(_C, _C, 3, bias=False):,} weights for "
                   f"C = {_C} against 49C² = "
                   f"{_arithmetic.conv_parameters(_C, _C, 7, bias=False):,}, and three ReLUs "
                   "instead of one.",
                   correct=True),
            Choice("Three 3x3 layers see a larger region than one 7x7 layer.",
                   "Their receptive field is exactly 7x7: 3 + 2 + 2."),
            Choice("3x3 convolutions need no padding.",
                   "VGG pads its 3x3 convolutions by 1 to keep the size."),
            Choice("It has more parameters, so it learns more.",
                   "It has fewer: 27C² against 49C²."),
        )),
    MultipleChoice(
        "Where do most of VGG-16's 138 million parameters live?",
        (
            Choice("In the first fully connected layer.",
                   f"Yes: {_VGG['first_fc']:,} of {_VGG['total']:,}, because it connects all "
                   "25,088 features of the last 7x7x512 map to 4,096 units.", correct=True),
            Choice("In the 13 convolutions.",
                   f"They hold only {_VGG['conv']:,}: small 3x3 kernels, shared over the image."),
            Choice("In the last layer, with its 1000 classes.",
                   "4096 x 1000 + 1000 = 4,097,000: about 3%."),
            Choice("In the biases.", f"There are only {_VGG['total'] - _VGG_NO_BIAS['total']:,}."),
        )),
    NumericQuestion(
        "A 2x2 max-pooling with stride 2 is applied to a 224x224 feature map. How wide is the "
        "result?",
        answer=_output_size_reference(224, 2, 0, 2),
        explanation="(224 - 2) / 2 + 1 = 112: pooling halves the size.",
        mistakes=((223.0, "That is stride 1. With stride 2 the window jumps 2 pixels."),
                  (111.0, "Don't forget the +1."))),
)
"""The chapter's end-of-chapter quiz questions."""


def quiz() -> Quiz:
    """Show the chapter 2 quiz as a widget (CSS class ``course-quiz``)."""
    return quiz_widget("Chapter 2, CNN architectures", QUIZ)
