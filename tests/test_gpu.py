"""The GPU path: the trainer, evaluation, checkpoints and the models on a CUDA device.

The course never needs a GPU, and CI has none, so these tests are skipped there (pytest reports
them as skipped, never as passed). They run wherever PyTorch sees a CUDA GPU, such as Colab's
GPU runtime: ``python -m pytest tests/test_gpu.py``.
"""

import pytest
import torch

from course_lib.checkpoints import load_checkpoint
from course_lib.data import load_digits_split
from course_lib.diagnostics import feature_statistics, weight_changes, weight_gradient_norms
from course_lib.models import alexnet, count_parameters, tiny_cnn, vgg
from course_lib.normalisation import set_batch_norm_statistics, with_batch_norm
from course_lib.train import TrainConfig, Trainer, evaluate, fit

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.fixture(scope="module")
def digits():
    split = load_digits_split()
    return (split.x_train[:512], split.y_train[:512]), (split.x_test[:256], split.y_test[:256])


def fresh_model(seed=0):
    torch.manual_seed(seed)
    return tiny_cnn(width=8)


def test_the_trainer_picks_the_gpu_by_default_and_hands_the_model_back(digits):
    train, _ = digits
    trainer = Trainer(fresh_model(), TrainConfig(epochs=1, lr=1e-2))
    assert trainer.device.type == "cuda"
    seen = set()
    trainer.fit(train, progress=False,
                callback=lambda _info: seen.update(p.device.type for p in trainer.model.parameters()))
    assert seen == {"cuda"}  # it trained there
    # and gave the model back on the CPU, where it came from: CPU code keeps working
    assert all(p.device.type == "cpu" for p in trainer.model.parameters())
    trainer.model.first_conv.weight.detach().numpy()
    trainer.config.epochs = 2  # continuing moves it, and Adam's state, back to the GPU
    trainer.fit(train, progress=False)
    assert len(trainer.history) == 2


def test_a_model_the_user_put_on_the_gpu_stays_there(digits):
    train, _ = digits
    model = fresh_model().to("cuda")
    fit(model, train, epochs=1, lr=1e-2, progress=False)
    assert all(p.device.type == "cuda" for p in model.parameters())


def test_two_gpu_runs_with_one_seed_are_identical(digits):
    train, test = digits
    a = fit(fresh_model(), train, test=test, epochs=3, lr=1e-2, progress=False, device="cuda")
    b = fit(fresh_model(), train, test=test, epochs=3, lr=1e-2, progress=False, device="cuda")
    assert a.step_losses == b.step_losses  # cuDNN held to its deterministic algorithms
    assert a.test_acc == b.test_acc


def test_training_on_the_gpu_learns_like_on_the_cpu(digits):
    train, test = digits
    settings = {"test": test, "epochs": 4, "lr": 1e-2, "progress": False}
    gpu_model, cpu_model = fresh_model(), fresh_model()
    on_gpu = fit(gpu_model, train, device="cuda", **settings)
    on_cpu = fit(cpu_model, train, device="cpu", **settings)
    # same start, same batches: the first step's loss differs by float rounding only
    assert on_gpu.step_losses[0] == pytest.approx(on_cpu.step_losses[0], rel=1e-4)
    # both learn: from ln(10) = 2.30 at chance to well below, and far above 10% accuracy
    assert on_gpu.train_loss[-1] < 0.5 * on_gpu.train_loss[0]
    assert on_gpu.test_acc[-1] > 0.8
    assert abs(on_gpu.test_acc[-1] - on_cpu.test_acc[-1]) <= 0.05


def test_evaluate_moves_cpu_data_to_the_models_device(digits):
    _, test = digits
    model = fresh_model().to("cuda")
    loss_gpu, acc_gpu = evaluate(model, test)  # test is on the CPU
    loss_cpu, acc_cpu = evaluate(model.to("cpu"), test)
    assert loss_gpu == pytest.approx(loss_cpu, rel=1e-4)
    assert abs(acc_gpu - acc_cpu) <= 1 / len(test[1])  # at most one borderline prediction


def test_the_diagnostics_take_a_gpu_model_and_cpu_data(digits):
    (x, y), _ = digits
    cpu_model = fresh_model()
    gpu_model = fresh_model().to("cuda")
    on_cpu, on_gpu = feature_statistics(cpu_model, x), feature_statistics(gpu_model, x)
    assert on_gpu.mean == pytest.approx(on_cpu.mean, rel=1e-4)
    norms_cpu = weight_gradient_norms(cpu_model, x[:64], y[:64])
    norms_gpu = weight_gradient_norms(gpu_model, x[:64], y[:64])
    assert norms_gpu == pytest.approx(norms_cpu, rel=1e-3)
    assert weight_changes(cpu_model, gpu_model) == pytest.approx(
        dict.fromkeys(weight_changes(cpu_model, cpu_model), 0.0), abs=1e-5)
    with_bn = with_batch_norm(fresh_model()).to("cuda")
    set_batch_norm_statistics(with_bn, x)
    norm = next(m for m in with_bn.modules() if isinstance(m, torch.nn.BatchNorm2d))
    assert norm.running_mean.device.type == "cuda"
    assert float(norm.num_batches_tracked) == 1


def test_a_checkpoint_saved_on_the_gpu_loads_on_a_cpu(digits, tmp_path):
    train, test = digits
    path = tmp_path / "gpu.pt"
    model = fresh_model()
    history = fit(model, train, test=test, epochs=2, lr=1e-2, progress=False, device="cuda",
                  checkpoint=path)
    restored = fresh_model(seed=7)  # on the CPU
    loaded = load_checkpoint(path, restored)
    assert loaded.test_acc == history.test_acc
    for p, q in zip(restored.parameters(), model.parameters(), strict=True):
        assert p.device.type == "cpu"
        assert torch.equal(p, q)  # both on the CPU: fit handed the model back


def test_resuming_on_the_gpu_continues_the_run(digits, tmp_path):
    train, test = digits
    path = tmp_path / "run.pt"
    settings = {"test": test, "lr": 1e-2, "progress": False, "device": "cuda"}
    unbroken = fit(fresh_model(), train, epochs=4, **settings)
    fit(fresh_model(), train, epochs=2, checkpoint=path, **settings)
    resumed = fit(fresh_model(seed=99), train, epochs=4, checkpoint=path, resume=True, **settings)
    assert len(resumed) == 4
    assert resumed.step_losses == unbroken.step_losses  # deterministic on the GPU too
    assert resumed.test_acc == unbroken.test_acc


@pytest.mark.parametrize(("build", "size", "parameters"), [
    (alexnet, 224, 61_100_840),  # torchvision's AlexNet
    (lambda: vgg(11), 224, 132_863_336),  # VGG-11, configuration A
])
def test_the_big_models_run_forward_and_backward_on_the_gpu(build, size, parameters):
    model = build().to("cuda")
    assert count_parameters(model) == parameters
    x = torch.randn(2, 3, size, size, device="cuda")
    out = model(x)
    assert out.shape == (2, 1000)
    out.square().mean().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


@pytest.mark.parametrize("name", ["sgd", "rmsprop", "adam", "adamw"])
def test_the_course_optimisers_train_on_the_gpu_as_torchs_do(digits, name):
    """course_lib.optim on CUDA: trains, hands the model back, and ends near torch.optim's run
    (torch's CUDA optimisers sum in another order: a looser tolerance than on the CPU)."""
    from course_lib.optim import fit_with
    from course_lib.schedules import Cosine

    train, _ = digits
    ours, theirs = fresh_model(), fresh_model()
    history = fit_with(ours, train, optimizer=name, lr=1e-2, epochs=2, device="cuda",
                       schedule=Cosine(16))
    assert history.train_loss[-1] < history.train_loss[0]
    assert all(p.device.type == "cpu" for p in ours.parameters())
    reference = {"sgd": torch.optim.SGD, "rmsprop": torch.optim.RMSprop, "adam": torch.optim.Adam,
                 "adamw": torch.optim.AdamW}[name]
    trainer = Trainer(theirs, TrainConfig(epochs=2, lr=1e-2, device="cuda"))
    trainer.optimizer = reference(theirs.parameters(), lr=1e-2)
    scheduler = torch.optim.lr_scheduler.LambdaLR(trainer.optimizer, Cosine(16))
    trainer.fit(train, progress=False, callback=lambda _info: scheduler.step())
    torch.testing.assert_close(ours.state_dict(), theirs.state_dict(), rtol=0, atol=1e-4)
