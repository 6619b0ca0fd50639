"""Preprocessing, always fitted on the training split only and then applied to both splits.

- :class:`Standardizer`: mean subtraction and division by the standard deviation, per pixel
  (AlexNet's "mean image"), per channel (VGG's mean RGB) or globally.
- :class:`PCAWhitener`: decorrelation and whitening, PCA or ZCA.
- :func:`channel_stats`: per-channel mean and standard deviation of a batch of images.
"""

from __future__ import annotations

from typing import cast

import numpy as np
import torch

from ._checks import as_float_array, check_bool, check_choice, check_int, check_real
from ._types import Batch

__all__ = ["NotFittedError", "PCAWhitener", "Standardizer", "channel_stats"]


class NotFittedError(RuntimeError):
    """A preprocessing step was used before ``fit`` computed its statistics."""


def _as_batch(x, name: str) -> np.ndarray:
    """Check a batch of samples and return it as float64: (N, D) vectors or (N, C, H, W) images."""
    return as_float_array(x, name, ndim=(2, 4))


def _like_input(values: np.ndarray, x):
    """Return ``values`` as the input's type: a float32 tensor for a tensor, else NumPy."""
    if isinstance(x, torch.Tensor):
        return torch.from_numpy(values.astype(np.float32))
    return values


class _FittedStep:
    """What every preprocessing step shares.

    Statistics computed by ``fit`` on the training split (``mean_`` is ``None`` before), checked
    before they are applied to other data.
    """

    mean_: np.ndarray | None = None
    _shape: tuple[int, ...] = ()

    def fit(self, x):  # pragma: no cover - each step defines it
        raise NotImplementedError

    def transform(self, x):  # pragma: no cover - each step defines it
        raise NotImplementedError

    def _check_fitted(self, arr: np.ndarray) -> None:
        if self.mean_ is None:
            raise NotFittedError(f"This {type(self).__name__} is not fitted yet: call "
                                 ".fit(x_train) first, then .transform(x).")
        if arr.shape[1:] != self._shape:
            raise ValueError(f"`x` must have samples of shape {self._shape}, like the training "
                             f"data; got {arr.shape[1:]}.")

    def fit_transform(self, x):
        """``fit(x)`` then ``transform(x)``."""
        return self.fit(x).transform(x)

    @property
    def _state(self) -> str:
        return "fitted" if self.mean_ is not None else "not fitted"


def channel_stats(x: Batch) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and standard deviation of a batch of images (N, C, H, W).

    Examples
    --------
    >>> x = np.zeros((2, 3, 4, 4)); x[:, 1] = 5.0; x[1, 2] = 2.0
    >>> mean, std = channel_stats(x)
    >>> mean, std
    (array([0., 5., 1.]), array([0., 0., 1.]))
    """
    x = as_float_array(x, "x", ndim=4)
    return x.mean(axis=(0, 2, 3)), x.std(axis=(0, 2, 3))


class Standardizer(_FittedStep):
    """Subtract the training mean and (optionally) divide by the training standard deviation.

    Parameters
    ----------
    per : {"channel", "pixel", "global"}
        Which statistics: one mean per channel (VGG subtracted the mean RGB colour), one per
        pixel position and channel (AlexNet subtracted the "mean image"), or one number for
        everything. Vectors (N, D) have no channels: "channel" and "pixel" then both mean one
        statistic per feature.
    scale : bool
        Also divide by the standard deviation (standardisation); ``False`` only centres.
    eps : float
        Standard deviations at or below ``eps`` count as zero: such constant pixels (a digit's
        empty border) are only centred, not divided by (almost) zero, as scikit-learn's
        ``StandardScaler`` does.

    Examples
    --------
    >>> train = np.array([[0.0, 10.0], [2.0, 30.0]])
    >>> s = Standardizer().fit(train)
    >>> s.transform(train)
    array([[-1., -1.],
           [ 1.,  1.]])
    >>> s.transform(np.array([[1.0, 20.0]]))
    array([[0., 0.]])
    """

    def __init__(self, *, per: str = "channel", scale: bool = True, eps: float = 1e-6):
        self.per = check_choice(per, "per", ("channel", "pixel", "global"))
        self.scale = check_bool(scale, "scale")
        self.eps = check_real(eps, "eps", minimum=0.0)
        self.mean_: np.ndarray | None = None
        self.std_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None  # what is divided by: std, or 1 where std <= eps

    def _axes(self, ndim: int) -> tuple[int, ...]:
        if self.per == "global":
            return tuple(range(ndim))
        if self.per == "pixel" or ndim == 2:
            return (0,)
        return (0, 2, 3)

    def fit(self, x: Batch) -> Standardizer:
        """Compute the statistics of the training batch ``x``; returns ``self``."""
        arr = _as_batch(x, "x")
        axes = self._axes(arr.ndim)
        self.mean_ = arr.mean(axis=axes, keepdims=True)[0]  # drop the batch axis
        self.std_ = arr.std(axis=axes, keepdims=True)[0]
        self.scale_ = np.where(self.std_ > self.eps, self.std_, 1.0)
        self._shape = arr.shape[1:]
        return self

    def transform(self, x: Batch) -> np.ndarray | torch.Tensor:
        """Apply the training statistics to ``x`` (same type out as in)."""
        arr = _as_batch(x, "x")
        self._check_fitted(arr)
        out = arr - self.mean_
        if self.scale:
            out = out / self.scale_
        return _like_input(out, x)

    def inverse_transform(self, x: Batch) -> np.ndarray | torch.Tensor:
        """Undo :meth:`transform`."""
        arr = _as_batch(x, "x")
        self._check_fitted(arr)
        out = arr * self.scale_ if self.scale else arr
        return _like_input(out + self.mean_, x)

    def __repr__(self) -> str:
        return f"Standardizer(per={self.per!r}, scale={self.scale}, {self._state})"


class PCAWhitener(_FittedStep):
    r"""Decorrelate (PCA) and whiten (PCA or ZCA) samples, with statistics from training data.

    With the training mean :math:`\mu` and the eigen-decomposition of the covariance
    :math:`\Sigma = U \Lambda U^T`:

    - ``method="pca"``: :math:`z = \Lambda^{-1/2} U^T (x - \mu)` (only the first
      ``n_components`` rows), or :math:`U^T(x - \mu)` with ``whiten=False``;
    - ``method="zca"``: :math:`z = U \Lambda^{-1/2} U^T (x - \mu)`, whitened data rotated back
      to the pixel axes, so it still looks like an image (edges stand out, as after a
      high-pass filter).

    ``eps`` is added to the eigenvalues, so directions with almost no variance (noise) are not
    blown up.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal((500, 2)) @ np.array([[3.0, 0.0], [1.0, 0.5]])
    >>> z = PCAWhitener(eps=0.0).fit(x).transform(x)
    >>> np.cov(z, rowvar=False, bias=True).round(6)
    array([[ 1., -0.],
           [-0.,  1.]])
    """

    def __init__(self, *, method: str = "zca", whiten: bool = True,
                 n_components: int | None = None, eps: float = 1e-5):
        self.method = check_choice(method, "method", ("pca", "zca"))
        self.whiten = check_bool(whiten, "whiten")
        if n_components is not None:
            n_components = check_int(n_components, "n_components", minimum=1)
            if self.method == "zca":
                raise ValueError("`n_components` applies to method='pca' only; ZCA keeps every "
                                 f"dimension. Got n_components={n_components}.")
        self.n_components = n_components
        self.eps = check_real(eps, "eps", minimum=0.0)
        self.mean_: np.ndarray | None = None
        self.components_: np.ndarray | None = None  # (D, D) eigenvectors as columns
        self.variances_: np.ndarray | None = None  # (D,) eigenvalues, largest first

    def fit(self, x: Batch) -> PCAWhitener:
        """Compute mean and covariance eigenvectors of the training batch ``x``."""
        arr = _as_batch(x, "x")
        flat = arr.reshape(len(arr), -1)  # (N, D)
        if self.n_components is not None and self.n_components > flat.shape[1]:
            raise ValueError(f"`n_components` must be at most the {flat.shape[1]} features; "
                             f"got {self.n_components}.")
        if len(flat) < 2:
            raise ValueError(f"`x` needs at least 2 samples to estimate a covariance; got {len(flat)}.")
        self.mean_ = flat.mean(axis=0)
        centred = flat - self.mean_
        covariance = centred.T @ centred / len(flat)  # (D, D)
        variances, vectors = np.linalg.eigh(covariance)  # ascending
        order = np.argsort(variances)[::-1]
        self.variances_ = np.clip(variances[order], 0.0, None)
        self.components_ = vectors[:, order]
        kept = self.variances_[:self.n_components or len(self.variances_)]
        if self.whiten and self.eps == 0.0 and kept[-1] <= 1e-12 * max(kept[0], 1e-300):
            flat_count = int(np.sum(kept <= 1e-12 * max(kept[0], 1e-300)))
            raise ValueError(f"`eps` = 0 cannot whiten this data: {flat_count} of its "
                             f"{len(kept)} directions have no variance (the data is "
                             "rank-deficient), and whitening divides by their standard "
                             "deviation. Use eps > 0 (e.g. 1e-5) or, with method='pca', "
                             "fewer n_components.")
        self._shape = arr.shape[1:]
        return self

    def transform(self, x: Batch) -> np.ndarray | torch.Tensor:
        """Project, whiten (or ZCA-whiten) ``x`` with the training statistics."""
        arr = _as_batch(x, "x")
        self._check_fitted(arr)
        flat = arr.reshape(len(arr), -1) - self.mean_  # (N, D)
        k = self.n_components or flat.shape[1]
        basis = cast(np.ndarray, self.components_)[:, :k]  # (D, k); fitted: not None
        z = flat @ basis  # (N, k) coordinates along the principal axes
        if self.whiten:
            z = z / np.sqrt(cast(np.ndarray, self.variances_)[:k] + self.eps)
        if self.method == "zca":
            z = (z @ basis.T).reshape(arr.shape)  # back to pixel axes
        return _like_input(z, x)

    def __repr__(self) -> str:
        return (f"PCAWhitener(method={self.method!r}, whiten={self.whiten}, "
                f"n_components={self.n_components}, eps={self.eps}, {self._state})")
