"""Benchmark of the chapter 3 trainer.

Accuracy and time of the tiny CNN, the trainer's overhead against a bare hand-written PyTorch
loop, and the cost of CPU threads.

    python benchmarks/bench_train.py

Targets: test accuracy >= 98% on the digits and >= 99% on the shapes, each in under 20 s on a
2-core CPU; trainer throughput / bare-loop throughput >= 0.95. The thread table trains the same
tiny CNN with 1 and 2 torch threads, on an idle machine and beside a busy process (one that keeps
a core busy, as a browser, a classroom server or Colab's other vCPU does): it is why
``course_lib.train.fit`` trains small models on one thread. Run it on an otherwise idle machine.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import time

import torch
from torch import nn

from course_lib.data import load_digits_split, make_shapes
from course_lib.engine.threads import torch_threads
from course_lib.models import tiny_cnn
from course_lib.preprocessing import Standardizer
from course_lib.train import evaluate, fit


def digits_run(epochs: int) -> tuple[float, float]:
    """Test accuracy and seconds (data preparation included) on the 8x8 digits."""
    start = time.perf_counter()
    split = load_digits_split()
    scaler = Standardizer(per="channel").fit(split.x_train)
    train = (scaler.transform(split.x_train), split.y_train)
    test = (scaler.transform(split.x_test), split.y_test)
    torch.manual_seed(0)
    model = tiny_cnn(image_size=8, num_classes=10)
    fit(model, train, epochs=epochs, lr=3e-3, batch_size=32, progress=False)
    _, accuracy = evaluate(model, test)
    return accuracy, time.perf_counter() - start


def shapes_run(epochs: int, n_train: int) -> tuple[float, float]:
    """Test accuracy and seconds (generating the images included) on the 32x32 shapes."""
    start = time.perf_counter()
    train = make_shapes(n_train, seed=0)
    test = make_shapes(1000, seed=1)
    torch.manual_seed(0)
    model = tiny_cnn(image_size=32, num_classes=4)
    fit(model, train, epochs=epochs, lr=3e-3, batch_size=32, progress=False)
    _, accuracy = evaluate(model, test)
    return accuracy, time.perf_counter() - start


def bare_loop(model: nn.Module, x, y, *, epochs: int, lr: float, batch_size: int) -> None:
    """Train as one writes it by hand.

    Shuffle, forward, loss, backward, step, and keep the loss and the number of right answers
    (as the trainer does).
    """
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    generator = torch.Generator().manual_seed(0)
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=generator)
        total, correct = 0.0, 0
        for begin in range(0, len(x), batch_size):
            idx = order[begin:begin + batch_size]
            xb, yb = x[idx], y[idx]
            logits = model(xb)
            loss = nn.functional.cross_entropy(logits, yb)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(yb)
            correct += int((logits.argmax(dim=1) == yb).sum())


def throughput_ratio(repeats: int, epochs: int) -> tuple[float, float, float]:
    """Measure samples per second of fit() and of the bare loop on the shapes, and their ratio.

    The two alternate (which one goes first alternates too) and each keeps its best run: on a
    shared machine the best run is the one least disturbed by other processes.
    """
    x, y = make_shapes(1024, seed=0)
    rates = {"fit": [], "bare": []}
    for repeat in range(repeats):
        for kind in (("bare", "fit") if repeat % 2 == 0 else ("fit", "bare")):
            torch.manual_seed(0)
            model = tiny_cnn(image_size=32, num_classes=4)
            start = time.perf_counter()
            if kind == "fit":
                fit(model, (x, y), epochs=epochs, lr=3e-3, batch_size=32, progress=False)
            else:  # on one thread, as fit chooses for this small model: a like-for-like comparison
                with torch_threads(1):
                    bare_loop(model, x, y, epochs=epochs, lr=3e-3, batch_size=32)
            rates[kind].append(epochs * len(x) / (time.perf_counter() - start))
    fit_rate, bare_rate = max(rates["fit"]), max(rates["bare"])
    return fit_rate, bare_rate, fit_rate / bare_rate


def _spin() -> None:
    """Keep one core busy until killed."""
    while True:
        pass


def thread_seconds(threads: int, repeats: int) -> float:
    """Best time of 2 epochs of the tiny CNN on 1024 shapes, with ``threads`` torch threads."""
    x, y = make_shapes(1024, seed=0)
    best = float("inf")
    for _ in range(repeats):
        torch.manual_seed(0)
        model = tiny_cnn(image_size=32, num_classes=4)
        start = time.perf_counter()
        fit(model, (x, y), epochs=2, lr=3e-3, batch_size=32, progress=False, threads=threads)
        best = min(best, time.perf_counter() - start)
    return best


def thread_table(repeats: int) -> None:
    """Print the time of training with 1 and 2 threads, on an idle and on a busy machine."""
    print(f"\n{'tiny CNN, 1024 shapes, 2 epochs':<34} {'1 thread':>9} {'2 threads':>10} {'2 / 1':>7}")
    for label, busy in (("idle machine", False), ("a busy process beside it", True)):
        spinner = None
        if busy:
            spinner = multiprocessing.Process(target=_spin, daemon=True)
            spinner.start()
        try:
            one, two = thread_seconds(1, repeats), thread_seconds(2, repeats)
        finally:
            if spinner is not None:
                spinner.terminate()
                spinner.join()
        print(f"{label:<34} {one:>8.2f}s {two:>9.2f}s {two / one:>6.1f}x")


def main() -> None:
    """Run the benchmark from the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=6, help="throughput repeats")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, {os.cpu_count()} CPU cores; fit chooses "
          "1 thread for these small models\n")

    print(f"{'task':<34} {'test accuracy':>13} {'target':>8} {'seconds':>8} {'target':>7}")
    accuracy, seconds = digits_run(epochs=15)
    print(f"{'tiny CNN, digits (15 epochs)':<34} {accuracy:>13.2%} {'>= 98%':>8} "
          f"{seconds:>8.1f} {'< 20':>7}")
    accuracy, seconds = shapes_run(epochs=8, n_train=3000)
    print(f"{'tiny CNN, shapes (3000, 8 epochs)':<34} {accuracy:>13.2%} {'>= 99%':>8} "
          f"{seconds:>8.1f} {'< 20':>7}")

    fit_rate, bare_rate, ratio = throughput_ratio(args.repeats, epochs=2)
    print(f"\n{'loop':<34} {'samples/s':>13}")
    print(f"{'bare PyTorch loop (1 thread)':<34} {bare_rate:>13.0f}")
    print(f"{'course_lib.train.fit':<34} {fit_rate:>13.0f}")
    print(f"{'ratio fit / bare (target >= 0.95)':<34} {ratio:>13.3f}")

    thread_table(repeats=3)


if __name__ == "__main__":
    main()
