"""The history of a training run: records, table, round trip through plain data, plots."""

import pytest

from course_lib.history import EpochRecord, History, plot_history


def test_history_table_and_plot():
    h = History()
    h.append(EpochRecord(1, 1.23456, 0.5, None, None, 0.5))
    h.append(EpochRecord(2, 0.5, 0.75, None, None, 0.25))
    text = h.table(times=False)
    assert text.splitlines()[0].split() == ["epoch", "train", "loss", "train", "acc"]
    assert "1.2346" in text
    assert "75.00%" in text
    assert "seconds" not in text
    assert "0.25" in repr(h)
    assert repr(History()) == "History(no epochs yet)"
    fig = plot_history({"a": h, "b": h})
    assert len(fig.axes) == 2
    assert len(fig.axes[0].lines) == 2
    assert History.from_dict(h.to_dict()) == h


def test_history_with_a_test_split_and_an_interruption():
    h = History([EpochRecord(1, 0.9, 0.7, 0.8, 0.75, 1.2)], [1.0, 0.8], interrupted=True)
    text = h.table()
    assert text.splitlines()[0].split()[-3:] == ["test", "acc", "seconds"]
    assert "75.00%" in text
    assert text.endswith("(interrupted after 1 finished epochs)")
    assert History.from_dict(h.to_dict()) == h
    assert h.has_test


def test_plot_history_refuses_what_is_not_a_history():
    with pytest.raises(TypeError, match="`history` must be a History"):
        plot_history([1, 2])
    with pytest.raises(TypeError, match="`history` must be a History"):
        plot_history({})


def test_plot_history_names_the_held_out_split():
    h = History([EpochRecord(1, 0.9, 0.7, 0.8, 0.75, 1.2)])
    one = plot_history(h, held_out="validation")
    assert [line.get_label() for line in one.axes[1].lines] == ["train", "validation"]
    several = plot_history({"a": h, "b": h}, held_out="validation")
    assert several.axes[0].get_title() == "loss (cross-entropy) (solid: train, dashed: validation)"
    assert plot_history({"a": h, "b": h}).axes[0].get_title().endswith("dashed: test)")
    with pytest.raises(TypeError, match="`held_out`"):
        plot_history(h, held_out="")
