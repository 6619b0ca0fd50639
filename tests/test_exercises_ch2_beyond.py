"""Chapter 2, section 2.3's exercises: each checker against an independent count and the known
mistakes it must recognise."""

from __future__ import annotations

import torch
from test_exercises import assert_fails
from torch import nn

from course_lib.exercises import ch2
from course_lib.models import count_parameters, resnet18, resnet50, vgg, with_gap_head


def test_block_reference_is_resnet18s_own_blocks():
    with torch.device("meta"):
        net = resnet18()
    for stage, (i, o, s) in (("layer1", (64, 64, 1)), ("layer2", (64, 128, 2)),
                             ("layer3", (128, 256, 2)), ("layer4", (256, 512, 2))):
        first = getattr(net, stage)[0]
        assert count_parameters(first) == ch2._block_params_reference(i, o, s)
    # the blocks, the stem, the last layer: the published total
    blocks = sum(count_parameters(b) for stage in ("layer1", "layer2", "layer3", "layer4")
                 for b in getattr(net, stage))
    assert blocks + 64 * 3 * 49 + 2 * 64 + 512 * 1000 + 1000 == 11_689_512


def test_block_params_mistakes():
    ex = ch2.block_params
    proj = lambda i, o, s: s != 1 or i != o
    assert ex.evaluate(lambda i, o, s: 9 * i * o + 9 * o * o + 4 * o
                       + (i * o + 2 * o if proj(i, o, s) else 0))
    assert_fails(ex, lambda i, o, s: 9 * i * o + 9 * o * o + (i * o if proj(i, o, s) else 0),
                 "left out the batch norms")
    assert_fails(ex, lambda i, o, s: 9 * i * o + 9 * o * o + 6 * o
                 + (i * o + 3 * o if proj(i, o, s) else 0), "no bias")
    assert_fails(ex, lambda i, o, _s: 9 * i * o + 9 * o * o + 4 * o, "cannot be the identity")
    assert_fails(ex, lambda i, o, _s: 9 * i * o + 9 * o * o + 6 * o + i * o,
                 "identity: it has no parameters")
    assert_fails(ex, lambda i, o, s: 9 * i * o + 9 * o * o + 8 * o
                 + (i * o + 4 * o if proj(i, o, s) else 0), "running mean and variance")
    assert_fails(ex, lambda i, o, s: 9 * i * o + 9 * o * o + 4 * o
                 + (9 * i * o + 2 * o if proj(i, o, s) else 0), "1x1 convolution")
    assert_fails(ex, lambda i, o, s: 18 * i * o + 4 * o
                 + (i * o + 2 * o if proj(i, o, s) else 0), "second convolution")
    assert_fails(ex, lambda i, o, _s: float(9 * i * o), "int")


def test_gap_head_reference_and_mistakes():
    with torch.device("meta"):
        net = vgg(16)
        head = with_gap_head(net)
    assert count_parameters(head.classifier) == 513_000 == ch2._GAP
    assert count_parameters(net.classifier) == 123_642_856          # the statement's figure
    assert ch2.gap_head.evaluate(513_000)
    assert_fails(ch2.gap_head, 512_000, "one bias per class")
    assert_fails(ch2.gap_head, 25_089_000, "without pooling")
    assert_fails(ch2.gap_head, 0, "the linear layer after it does")
    assert_fails(ch2.gap_head, 4_097_000, "VGG's own fc8")
    assert_fails(ch2.gap_head, 123_642_856, "not this one")


def test_bottleneck_reference_is_resnet50s_table_and_mistakes():
    with torch.device("meta"):
        table = resnet50().layer_table()
    by_table = sum(table[f"layer1.1.conv{k}"].multiply_adds for k in (1, 2, 3))
    assert by_table == ch2._MADDS == 218_365_952
    by_layers = nn.Sequential(nn.Conv2d(256, 64, 1), nn.Conv2d(64, 64, 3, padding=1),
                              nn.Conv2d(64, 256, 1))
    assert sum(p.numel() for n, p in by_layers.named_parameters() if "weight" in n) == 69_632
    assert ch2.bottleneck_madds.evaluate(218_365_952)
    assert_fails(ch2.bottleneck_madds, 69_632, "number of weights")
    assert_fails(ch2.bottleneck_madds, 115_605_504, "3x3 convolution alone")
    assert_fails(ch2.bottleneck_madds, 4 * 218_365_952, "not 112x112")
    assert_fails(ch2.bottleneck_madds, 56 * 56 * 256 * 256 * 9, "the cost the bottleneck avoids")


def test_quiz_questions_of_section_2_3():
    from course_lib.exercises.quiz import MultipleChoice, NumericQuestion
    with torch.device("meta"):
        head = resnet50().fc
    numeric = next(q for q in ch2.QUIZ if isinstance(q, NumericQuestion) and "ResNet-50" in q.prompt)
    assert numeric.answer == count_parameters(head) == 2_049_000
    assert numeric.check("2,049,000")
    assert "one bias per class" in numeric.check("2048000").text
    choice = next(q for q in ch2.QUIZ if isinstance(q, MultipleChoice) and "44-layer" in q.prompt)
    assert "Overfitting" in choice.choices[choice.correct_index].text
    assert not choice.check(1)
