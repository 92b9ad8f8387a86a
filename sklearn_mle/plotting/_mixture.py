"""A Gaussian mixture in two dimensions: points by component, covariance ellipses and
the classification uncertainty (mclust's classification and uncertainty plots)."""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._mpl import check_matplotlib, figure_and_axes


class MixtureDisplay:
    """Points coloured by their most probable component, with each component's
    covariance ellipse; larger points are less certainly classified.

    Build it with :meth:`from_estimator`.

    Parameters
    ----------
    X : ndarray of shape (n_samples, 2)
        The two plotted columns.
    labels : ndarray of shape (n_samples,)
        Most probable component of each row.
    uncertainty : ndarray of shape (n_samples,)
        ``1 - max_k P(component k | row)``.
    means : ndarray of shape (n_components, 2)
    covariances : ndarray of shape (n_components, 2, 2)
        The components' covariances restricted to the plotted columns.
    n_std : float, default=2.0
        Ellipse half-axes in standard deviations.
    feature_names : tuple of str, default=("x0", "x1")

    Attributes
    ----------
    scatter_ : matplotlib PathCollection
    ellipses_ : list of matplotlib Ellipse
        One per component.
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import GaussianMixture
    >>> from sklearn_mle.plotting import MixtureDisplay
    >>> rng = np.random.default_rng(0)
    >>> X = np.vstack([rng.normal(0, 1, (100, 2)), rng.normal(5, 1, (100, 2))])
    >>> gm = GaussianMixture(n_components=2, random_state=0).fit(X)
    >>> len(MixtureDisplay.from_estimator(gm, X).ellipses_)
    2
    """

    def __init__(self, *, X, labels, uncertainty, means, covariances, n_std=2.0,
                 feature_names=("x0", "x1")):
        self.X = X
        self.labels = labels
        self.uncertainty = uncertainty
        self.means = means
        self.covariances = covariances
        self.n_std = n_std
        self.feature_names = feature_names

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        *,
        features=(0, 1),
        n_std: float = 2.0,
        ax=None,
        scatter_kwargs: dict | None = None,
        ellipse_kwargs: dict | None = None,
    ) -> MixtureDisplay:
        """Draw a fitted Gaussian mixture over two columns of ``X``.

        Parameters
        ----------
        estimator : fitted GaussianMixture, or MixtureMLE with GaussianMLE components
        X : array-like of shape (n_samples, n_features)
        features : tuple of two int, default=(0, 1)
            The plotted columns.
        n_std : float, default=2.0
            Ellipse half-axes in standard deviations along the principal axes.
        ax : matplotlib Axes, default=None
        scatter_kwargs : dict, default=None
            Keyword arguments of ``Axes.scatter``.
        ellipse_kwargs : dict, default=None
            Keyword arguments of the ellipses (``matplotlib.patches.Ellipse``).

        Returns
        -------
        display : MixtureDisplay
        """
        check_matplotlib()
        check_is_fitted(estimator)
        arr = np.asarray(X.to_numpy() if hasattr(X, "to_numpy") else X, dtype=float)
        f = [int(i) for i in features]
        if len(f) != 2 or len(set(f)) != 2:
            raise ValueError(f"features must name two different columns, got {features}")
        if arr.ndim != 2 or not all(0 <= i < arr.shape[1] for i in f):
            raise ValueError(
                f"features {tuple(f)} are not columns of X with shape {arr.shape}: "
                "MixtureDisplay draws two columns of 2-D data"
            )
        means, covs = _component_moments(estimator)
        proba = estimator.predict_proba(X)
        names = getattr(estimator, "feature_names_in_", None)
        fnames = tuple(str(names[i]) if names is not None else f"x{i}" for i in f)
        disp = cls(
            X=arr[:, f],
            labels=np.argmax(proba, axis=1),
            uncertainty=1.0 - np.max(proba, axis=1),
            means=means[:, f],
            covariances=covs[:, f][:, :, f],
            n_std=n_std,
            feature_names=fnames,
        )
        return disp.plot(ax=ax, scatter_kwargs=scatter_kwargs, ellipse_kwargs=ellipse_kwargs)

    def plot(self, ax=None, *, scatter_kwargs=None, ellipse_kwargs=None):
        """Draw the points and ellipses.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
        scatter_kwargs : dict, default=None
        ellipse_kwargs : dict, default=None

        Returns
        -------
        display : MixtureDisplay
        """
        check_matplotlib()
        from matplotlib.colors import ListedColormap
        from matplotlib.patches import Ellipse

        fig, ax = figure_and_axes(ax)
        k = len(self.means)
        colors = [f"C{i % 10}" for i in range(k)]
        sizes = 8.0 + 150.0 * np.asarray(self.uncertainty)
        style = {"s": sizes, "alpha": 0.7, "edgecolors": "none"} | dict(scatter_kwargs or {})
        self.scatter_ = ax.scatter(self.X[:, 0], self.X[:, 1], c=self.labels,
                                   cmap=ListedColormap(colors), vmin=-0.5, vmax=k - 0.5,
                                   **style)
        self.ellipses_ = []
        for i, (m, c) in enumerate(zip(self.means, self.covariances)):
            width, height, angle = ellipse_geometry(c, self.n_std)
            estyle = {"fill": False, "edgecolor": colors[i], "linewidth": 2,
                      "label": f"component {i}"} | dict(ellipse_kwargs or {})
            ell = Ellipse(m, width, height, angle=angle, **estyle)
            ax.add_patch(ell)
            self.ellipses_.append(ell)
            ax.plot(*m, "+", color=colors[i], markersize=10, markeredgewidth=2)
        ax.set_xlabel(self.feature_names[0])
        ax.set_ylabel(self.feature_names[1])
        ax.set_title("Components (point size: classification uncertainty)")
        ax.legend(loc="best")
        self.ax_, self.figure_ = ax, fig
        return self


def ellipse_geometry(cov, n_std):
    """Width, height and angle (degrees) of the ``n_std`` ellipse of a 2x2 covariance."""
    w, v = np.linalg.eigh(np.asarray(cov, dtype=float))
    w = np.clip(w, 0.0, None)
    angle = float(np.degrees(np.arctan2(v[1, 1], v[0, 1])))
    return 2 * n_std * float(np.sqrt(w[1])), 2 * n_std * float(np.sqrt(w[0])), angle


def _component_moments(est):
    """Means (k, d) and full covariances (k, d, d) of a fitted Gaussian mixture."""
    if hasattr(est, "means_") and hasattr(est, "covariances_"):
        means = np.asarray(est.means_, dtype=float)
        k, d = means.shape
        return means, _full_covariances(est.covariances_, est.covariance_type, k, d)
    comps = getattr(est, "components_", None)
    if comps is not None and all(hasattr(c, "mean_") and hasattr(c, "covariance_")
                                 for c in comps):
        means = np.array([np.asarray(c.mean_, dtype=float) for c in comps])
        d = means.shape[1]
        covs = []
        for c in comps:
            cov = np.asarray(c.covariance_, dtype=float)
            covs.append(cov if cov.ndim == 2 else np.diag(np.broadcast_to(cov, (d,))))
        return means, np.array(covs)
    raise TypeError(
        f"{type(est).__name__} is not a Gaussian mixture: MixtureDisplay needs means_ and "
        "covariances_ (GaussianMixture) or components_ with mean_ and covariance_ "
        "(MixtureMLE(GaussianMLE()))"
    )


def _full_covariances(cov, kind, k, d):
    cov = np.asarray(cov, dtype=float)
    if kind == "full":
        return cov
    if kind == "tied":
        return np.broadcast_to(cov, (k, d, d)).copy()
    if kind == "diag":
        return np.array([np.diag(c) for c in cov])
    if kind == "spherical":
        return np.array([np.eye(d) * c for c in np.broadcast_to(cov, (k,))])
    raise ValueError(f"unknown covariance_type {kind!r}")
