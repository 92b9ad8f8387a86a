"""The fitted distribution as scipy.stats objects: ``to_scipy``, ``cdf``, ``sf``, ``ppf``.

A distribution estimator's family already knows its frozen ``scipy.stats``
distributions; these methods hand them to the user, per column, so quantiles, QQ and
PP plots and tail probabilities need no re-parametrisation by hand.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted


class ScipyMixin:
    """``to_scipy``, ``cdf``, ``sf`` and ``ppf`` of a fitted distribution estimator."""

    def to_scipy(self) -> list:
        """Frozen ``scipy.stats`` distributions of the fit, one per column.

        A full-covariance Gaussian is one joint ``multivariate_normal``; a multinomial
        is one ``multinomial`` per row total (see the family).

        Returns
        -------
        list of frozen scipy.stats distributions

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle import PoissonMLE
        >>> dist, = PoissonMLE().fit(np.array([[1], [2], [3]])).to_scipy()
        >>> float(dist.mean())
        2.0
        """
        check_is_fitted(self)
        return list(self.family_.to_scipy(self._params))

    def _marginals(self, method: str) -> list:
        dists = self.to_scipy()
        if len(dists) != self.n_features_in_:
            raise ValueError(
                f"{type(self).__name__}.{method} works column by column, but this fit is "
                f"one joint distribution over {self.n_features_in_} columns; use "
                "to_scipy() for the joint distribution (or covariance_type='diag')."
            )
        return dists

    def _columnwise(self, X, method: str) -> np.ndarray:
        dists = self._marginals(method)
        X = np.asarray(X)
        if X.ndim == 1 and self.n_features_in_ == 1:
            X = X[:, None]
        if X.ndim != 2 or X.shape[1] != self.n_features_in_:
            raise ValueError(
                f"{type(self).__name__}.{method}: X must have shape (n_samples, "
                f"{self.n_features_in_}), got {X.shape}"
            )
        if not np.issubdtype(X.dtype, np.number):
            raise ValueError(
                f"{type(self).__name__}.{method} needs numeric values (an order on the "
                "support); categories without one have no cumulative distribution"
            )
        X = X.astype(float)
        if np.isnan(X).any():
            raise ValueError(f"{type(self).__name__}.{method}: X contains NaN")
        return np.column_stack([getattr(d, method)(X[:, j]) for j, d in enumerate(dists)])

    def cdf(self, X) -> np.ndarray:
        """Cumulative distribution function of each column at ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_features)

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle import GaussianMLE
        >>> est = GaussianMLE().fit(np.array([[-1.0], [1.0]]))
        >>> est.cdf([[0.0]])
        array([[0.5]])
        """
        return self._columnwise(X, "cdf")

    def sf(self, X) -> np.ndarray:
        """Survival function ``1 - cdf`` of each column at ``X``, accurate in the upper tail.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_features)
        """
        return self._columnwise(X, "sf")

    def ppf(self, q) -> np.ndarray:
        """Quantiles of each column: the inverse of :meth:`cdf`.

        Parameters
        ----------
        q : array-like of shape (n_quantiles,) or (n_quantiles, n_features)
            Probabilities in [0, 1]; a 1-D array gives the same quantiles of every column.

        Returns
        -------
        ndarray of shape (n_quantiles, n_features)

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_mle import ExponentialMLE
        >>> est = ExponentialMLE().fit(np.array([[1.0], [3.0]]))
        >>> est.ppf([0.5]).round(4)
        array([[1.3863]])
        """
        dists = self._marginals("ppf")
        q = np.asarray(q, dtype=float)
        if q.ndim == 0:
            q = q[None]
        if q.ndim == 1:
            q = np.repeat(q[:, None], len(dists), axis=1)
        if q.ndim != 2 or q.shape[1] != len(dists):
            raise ValueError(
                f"{type(self).__name__}.ppf: q must have shape (n,) or (n, "
                f"{len(dists)}), got {q.shape}"
            )
        if np.isnan(q).any() or (q < 0).any() or (q > 1).any():
            raise ValueError(f"{type(self).__name__}.ppf: probabilities must lie in [0, 1]")
        return np.column_stack([d.ppf(q[:, j]) for j, d in enumerate(dists)])
