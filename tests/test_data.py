"""Data sets (digits, shapes, IDX files) and preprocessing (Standardizer, PCAWhitener)."""

import gzip
import hashlib
import struct

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA

from course_lib import data as D
from course_lib import preprocessing as P

# --- digits ---------------------------------------------------------------------------------


def test_digits_split_shapes_types_and_range():
    split = D.load_digits_split()
    assert split.x_train.shape == (1347, 1, 8, 8)
    assert split.x_test.shape == (450, 1, 8, 8)
    assert split.x_train.dtype == torch.float32
    assert split.y_train.dtype == torch.int64
    assert float(split.x_train.min()) == 0.0
    assert float(split.x_train.max()) == 1.0
    assert split.train[0] is split.x_train
    assert split.test[1] is split.y_test


def test_digits_split_is_a_partition_of_sklearn_digits():
    split = D.load_digits_split(test_size=0.2, seed=3)
    digits = load_digits()
    ours = np.concatenate([split.x_train.numpy(), split.x_test.numpy()]).reshape(-1, 64) * 16
    ours_sorted = np.unique(np.round(ours).astype(int), axis=0)
    theirs = np.unique(digits.data.astype(int), axis=0)
    np.testing.assert_array_equal(ours_sorted, theirs)
    assert len(split.y_test) == 360
    counts = np.bincount(split.y_test.numpy())
    assert counts.min() >= 35
    assert counts.max() <= 37


def test_digits_split_deterministic_and_seed_dependent():
    a, b = D.load_digits_split(seed=1), D.load_digits_split(seed=1)
    c = D.load_digits_split(seed=2)
    assert torch.equal(a.x_train, b.x_train)
    assert torch.equal(a.y_test, b.y_test)
    assert not torch.equal(a.y_train, c.y_train)


@pytest.mark.parametrize(("kwargs", "error"), [
    ({"test_size": 0}, ValueError), ({"test_size": 1.5}, ValueError),
    ({"seed": -1}, ValueError), ({"seed": 1.5}, TypeError),
])
def test_digits_split_bad_arguments(kwargs, error):
    with pytest.raises(error, match=r"`(test_size|seed)`"):
        D.load_digits_split(**kwargs)


# --- shapes ---------------------------------------------------------------------------------


def test_shapes_shapes_labels_balance_and_range():
    x, y = D.make_shapes(40, size=24, seed=5)
    assert x.shape == (40, 1, 24, 24)
    assert x.dtype == torch.float32
    assert y.dtype == torch.int64
    assert set(y.tolist()) == {0, 1, 2, 3}
    np.testing.assert_array_equal(np.bincount(y.numpy()), [10, 10, 10, 10])
    assert float(x.min()) >= 0.0
    assert float(x.max()) <= 1.0
    assert D.SHAPE_NAMES == ("circle", "square", "triangle", "line")


def test_shapes_deterministic_for_seed():
    a, b, c = D.make_shapes(12, seed=7), D.make_shapes(12, seed=7), D.make_shapes(12, seed=8)
    assert torch.equal(a[0], b[0])
    assert torch.equal(a[1], b[1])
    assert not torch.equal(a[0], c[0])


def test_shapes_without_noise_have_two_levels_and_sensible_areas():
    x, y = D.make_shapes(200, size=32, seed=0, noise=0.0)
    areas = {k: [] for k in range(4)}
    for image, label in zip(x[:, 0].numpy(), y.tolist(), strict=True):
        levels = np.unique(image)
        assert len(levels) == 2  # background and foreground only
        areas[label].append(np.mean(image == levels.max()))
    # lines are thin; filled shapes cover a good part of the picture
    assert np.mean(areas[3]) < 0.1
    for k in (0, 1, 2):
        assert 0.1 < np.mean(areas[k]) < 0.6


def test_shapes_circles_are_round():
    x, y = D.make_shapes(40, size=32, seed=1, noise=0.0)
    for image in x[y == 0][:, 0].numpy():
        mask = image == image.max()
        rows, cols = np.nonzero(mask)
        height, width = np.ptp(rows) + 1, np.ptp(cols) + 1
        assert abs(height - width) <= 1
        assert mask.sum() == pytest.approx(np.pi * (height / 2) ** 2, rel=0.15)


@pytest.mark.parametrize(("kwargs", "name"), [
    ({"n": 0}, "n"), ({"n": 4, "size": 4}, "size"), ({"n": 4, "noise": -0.1}, "noise"),
    ({"n": 10**6, "size": 512}, "n"),  # within each limit, but 262 billion pixels together
])
def test_shapes_bad_arguments(kwargs, name):
    with pytest.raises(ValueError, match=f"`{name}`"):
        D.make_shapes(**kwargs)


# --- IDX files -------------------------------------------------------------------------------


def idx_bytes(array: np.ndarray, code: int) -> bytes:
    """Write the IDX format by hand, independently of the loader."""
    big = array.astype(array.dtype.newbyteorder(">"))
    header = bytes([0, 0, code, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + big.tobytes()


@pytest.fixture
def images():
    return np.arange(3 * 4 * 5, dtype=np.uint8).reshape(3, 4, 5)


@pytest.mark.parametrize("compress", [False, True])
def test_idx_round_trip_raw_and_gzip(tmp_path, images, compress):
    raw = idx_bytes(images, 0x08)
    path = tmp_path / ("imgs-idx3-ubyte" + (".gz" if compress else ""))
    path.write_bytes(gzip.compress(raw) if compress else raw)
    loaded = D.load_idx(path)
    np.testing.assert_array_equal(loaded, images)
    assert loaded.dtype == np.uint8


@pytest.mark.parametrize(("dtype", "code"), [(np.int16, 0x0B), (np.int32, 0x0C),
                                         (np.float32, 0x0D), (np.float64, 0x0E)])
def test_idx_big_endian_types(tmp_path, dtype, code):
    values = (np.arange(6).reshape(2, 3) - 2.5).astype(dtype) * 3
    path = tmp_path / "values.idx"
    path.write_bytes(idx_bytes(values, code))
    np.testing.assert_array_equal(D.load_idx(path), values)


def test_idx_sha256_verification(tmp_path, images):
    path = tmp_path / "imgs-idx3-ubyte"
    path.write_bytes(idx_bytes(images, 0x08))
    good = hashlib.sha256(path.read_bytes()).hexdigest()
    np.testing.assert_array_equal(D.load_idx(path, sha256=good), images)
    with pytest.raises(ValueError, match="sha256"):
        D.load_idx(path, sha256="0" * 64)


@pytest.mark.parametrize("compress", [False, True])
def test_idx_truncated_file_gets_clear_error(tmp_path, images, compress):
    raw = idx_bytes(images, 0x08)[:-7]
    path = tmp_path / "cut-idx3-ubyte.gz"
    path.write_bytes(gzip.compress(raw) if compress else raw)
    with pytest.raises(ValueError, match=r"truncated.*60 bytes of data, found 53"):
        D.load_idx(path)


def test_idx_cut_gzip_stream_and_bad_magic(tmp_path, images):
    path = tmp_path / "cut.gz"
    path.write_bytes(gzip.compress(idx_bytes(images, 0x08))[:30])
    with pytest.raises(ValueError, match="damaged gzip"):
        D.load_idx(path)
    path.write_bytes(b"PK\x03\x04 not an idx file")
    with pytest.raises(ValueError, match="not an IDX file"):
        D.load_idx(path)
    path.write_bytes(bytes([0, 0, 0x08, 3, 0, 0]))
    with pytest.raises(ValueError, match="truncated"):
        D.load_idx(path)
    path.write_bytes(idx_bytes(images, 0x08) + b"extra")
    with pytest.raises(ValueError, match="longer than its header"):
        D.load_idx(path)
    with pytest.raises(FileNotFoundError, match="no IDX file"):
        D.load_idx(tmp_path / "missing")


def test_load_mnist_from_a_folder_of_small_idx_files(tmp_path):
    rng = np.random.default_rng(0)
    pictures = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    labels = np.array([3, 1, 4, 1, 5], dtype=np.uint8)
    (tmp_path / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(idx_bytes(pictures, 8)))
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(labels, 8))  # raw also found
    x, y = D.load_mnist(tmp_path, split="test")
    assert x.shape == (5, 1, 28, 28)
    assert x.dtype == torch.float32
    np.testing.assert_allclose(x[:, 0].numpy() * 255, pictures, atol=1e-4)
    assert y.tolist() == [3, 1, 4, 1, 5]
    with pytest.raises(ValueError, match="`check`"):  # our tiny files are not the real MNIST
        D.load_mnist(tmp_path, split="test", check=True)
    with pytest.raises(FileNotFoundError, match="train-images"):
        D.load_mnist(tmp_path, split="train")


# --- preprocessing ---------------------------------------------------------------------------


@pytest.fixture
def batch():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 3, 4, 4)) * np.array([1.0, 2.0, 5.0])[:, None, None] + 3.0
    return x


def test_standardizer_per_channel_statistics(batch):
    z = P.Standardizer(per="channel").fit_transform(batch)
    np.testing.assert_allclose(z.mean(axis=(0, 2, 3)), 0.0, atol=1e-12)
    np.testing.assert_allclose(z.std(axis=(0, 2, 3)), 1.0, atol=1e-5)
    mean, std = P.channel_stats(batch)
    np.testing.assert_allclose(mean, [batch[:, c].mean() for c in range(3)])
    np.testing.assert_allclose(std, [batch[:, c].std() for c in range(3)])


def test_standardizer_per_pixel_is_the_mean_image(batch):
    s = P.Standardizer(per="pixel", scale=False).fit(batch)
    np.testing.assert_allclose(s.mean_, batch.mean(axis=0))
    z = s.transform(batch)
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(z.std(axis=0), batch.std(axis=0))  # scale=False keeps spread


def test_standardizer_global_and_inverse(batch):
    s = P.Standardizer(per="global").fit(batch)
    assert s.mean_.size == 1
    np.testing.assert_allclose(s.inverse_transform(s.transform(batch)), batch, rtol=1e-12)


def test_standardizer_uses_training_statistics_on_test(batch):
    train, test = batch[:40], batch[40:] + 10.0
    s = P.Standardizer().fit(train)
    z = s.transform(test)
    expected = (test - train.mean(axis=(0, 2, 3), keepdims=True)) / train.std(
        axis=(0, 2, 3), keepdims=True)
    np.testing.assert_allclose(z, expected)


def test_standardizer_leaves_constant_pixels_centred_not_blown_up():
    x = np.array([[1.0, 5.0], [3.0, 5.0]])
    z = P.Standardizer().fit(x).transform(np.array([[2.0, 6.0]]))
    np.testing.assert_allclose(z, [[0.0, 1.0]])


def test_standardizer_keeps_tensor_type():
    split = D.load_digits_split()
    s = P.Standardizer(per="pixel").fit(split.x_train)
    z = s.transform(split.x_test)
    assert isinstance(z, torch.Tensor)
    assert z.dtype == torch.float32
    assert z.shape == split.x_test.shape


def test_transform_before_fit_is_refused(batch):
    with pytest.raises(P.NotFittedError, match=r"not fitted yet: call \.fit\(x_train\) first"):
        P.Standardizer().transform(batch)
    with pytest.raises(P.NotFittedError, match="not fitted"):
        P.PCAWhitener().transform(batch)


def test_transform_with_other_sample_shape_is_refused(batch):
    s = P.Standardizer().fit(batch)
    with pytest.raises(ValueError, match=r"samples of shape \(3, 4, 4\)"):
        s.transform(batch[:, :2])


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["pca", "zca"]))
def test_whitening_gives_identity_covariance(seed, method):
    rng = np.random.default_rng(seed)
    mixing = rng.normal(size=(3, 3)) + 3 * np.eye(3)
    x = rng.normal(size=(400, 3)) @ mixing + rng.normal(size=3)
    z = P.PCAWhitener(method=method, eps=0.0).fit(x).transform(x)
    np.testing.assert_allclose(z.mean(axis=0), 0.0, atol=1e-10)
    np.testing.assert_allclose(np.cov(z, rowvar=False, bias=True), np.eye(3), atol=1e-8)


def test_zca_is_symmetric_and_closest_to_the_input():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 2)) @ np.array([[2.0, 0.5], [0.0, 0.7]])
    w = P.PCAWhitener(method="zca", eps=0.0).fit(x)
    matrix = w.transform(np.eye(2) + w.mean_)  # rows: the whitening matrix W^T
    np.testing.assert_allclose(matrix, matrix.T, atol=1e-12)


def test_pca_projection_matches_sklearn():
    x = load_digits().data[:300]
    ours = P.PCAWhitener(method="pca", whiten=False, n_components=5).fit(x).transform(x)
    theirs = PCA(n_components=5).fit_transform(x)
    np.testing.assert_allclose(np.abs(ours), np.abs(theirs), rtol=1e-6, atol=1e-8)  # up to sign


def test_zca_on_images_keeps_their_shape():
    x = D.load_digits_split().x_train
    z = P.PCAWhitener(method="zca", eps=0.1).fit_transform(x)
    assert isinstance(z, torch.Tensor)
    assert z.shape == x.shape


@pytest.mark.parametrize(("call", "error", "name"), [
    (lambda: P.Standardizer(per="row"), ValueError, "per"),
    (lambda: P.PCAWhitener(method="svd"), ValueError, "method"),
    (lambda: P.PCAWhitener(method="zca", n_components=2), ValueError, "n_components"),
    (lambda: P.PCAWhitener(method="pca", n_components=9).fit(np.ones((5, 3))), ValueError,
     "n_components"),
    (lambda: P.Standardizer().fit(np.ones((2, 3, 4))), ValueError, "x"),
])
def test_preprocessing_bad_arguments(call, error, name):
    with pytest.raises(error, match=f"`{name}`"):
        call()


def test_whitening_rank_deficient_data_without_eps_is_refused_not_nan():
    rng = np.random.default_rng(0)
    flat = rng.normal(size=(50, 2)) @ np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.1]])  # rank 2 of 3
    for method in ("pca", "zca"):
        with pytest.raises(ValueError, match="`eps` = 0 cannot whiten this data: 1 of its 3"):
            P.PCAWhitener(method=method, eps=0.0).fit(flat)
        z = P.PCAWhitener(method=method).fit_transform(flat)  # eps > 0: finite
        assert np.all(np.isfinite(z))
    z = P.PCAWhitener(method="pca", eps=0.0, n_components=2).fit_transform(flat)
    np.testing.assert_allclose(np.cov(z, rowvar=False, bias=True), np.eye(2), atol=1e-8)
    assert np.all(np.isfinite(P.PCAWhitener(method="pca", whiten=False, eps=0.0)
                              .fit_transform(flat)))


def test_idx_header_with_huge_dimensions_gets_a_positive_size(tmp_path):
    path = tmp_path / "huge-idx4-ubyte"
    path.write_bytes(bytes([0, 0, 0x08, 4]) + b"\xff\xff\xff\xff" * 4 + b"ab")
    with pytest.raises(ValueError, match="needs 340,282,366,604,025,813,516,997,721,482,669,"
                                         "850,625 bytes of data, found 2"):
        D.load_idx(path)


@pytest.mark.parametrize("root", [None, 3, ["a"]])
def test_load_mnist_root_must_be_a_path(root):
    with pytest.raises(TypeError, match="`root` must be a folder"):
        D.load_mnist(root)


# --- validation split -----------------------------------------------------------------------


def test_split_validation_partitions_the_training_set_stratified():
    x, y = D.load_digits_split().train
    (x_tr, y_tr), (x_val, y_val) = D.split_validation((x, y), val_size=0.25, seed=4)
    assert len(y_tr) + len(y_val) == len(y)
    assert abs(len(y_val) - 0.25 * len(y)) <= 1
    joined = torch.cat([x_tr, x_val]).reshape(len(y), -1)
    # every training example appears exactly once in the two parts
    assert torch.equal(torch.unique(joined, dim=0), torch.unique(x.reshape(len(y), -1), dim=0))
    assert torch.equal(torch.sort(torch.cat([y_tr, y_val])).values, torch.sort(y).values)
    share = torch.bincount(y_val, minlength=10) / torch.bincount(y, minlength=10)
    assert float(share.min()) > 0.2
    assert float(share.max()) < 0.3


def test_split_validation_is_seeded():
    data = D.load_digits_split().train
    a, b, c = (D.split_validation(data, seed=s) for s in (1, 1, 2))
    assert torch.equal(a[1][1], b[1][1])
    assert not torch.equal(a[1][1], c[1][1])


@pytest.mark.parametrize(("data", "kwargs", "error", "match"), [
    ("images", {}, TypeError, "`data` must be an"),
    ((torch.zeros(4, 2), torch.zeros(3, dtype=torch.long)), {}, ValueError, "4 images but 3 labels"),
    ((torch.zeros(4, 2), torch.zeros(4)), {}, ValueError, "integer"),
    ((torch.zeros(4, 2), torch.tensor([0, 0, 1, 2])), {}, ValueError, "at least 2 examples"),
    ((torch.zeros(4, 2), torch.tensor([0, 0, 1, 1])), {"val_size": 1.0}, ValueError, "`val_size`"),
])
def test_split_validation_bad_input(data, kwargs, error, match):
    with pytest.raises(error, match=match):
        D.split_validation(data, **kwargs)
