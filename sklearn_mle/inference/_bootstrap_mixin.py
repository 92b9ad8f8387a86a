"""The bootstrap methods of the inference surface (:class:`BootstrapMixin`).

``bootstrap_replicates`` and the bootstrap branch of ``conf_int`` refit clones of a
fitted estimator on resampled rows or on data simulated from the fit
(:mod:`._bootstrap` does the resampling, the intervals and the component
alignment of mixtures and hidden Markov models).
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted

from . import _bootstrap as boot
from ._utils import num_rows


class BootstrapMixin:
    """Bootstrap replicates and intervals; a part of
    :class:`~sklearn_mle.base.LikelihoodMixin`."""

    def _bootstrap_setup(self, X, y, fit_params):
        """``(rows, kwargs_rows, simulate)`` for the bootstrap (see ``_bootstrap``).

        The default works on the data given: rows of ``X`` (and ``y``), per-row fit
        arguments, and ``sample(n, random_state)`` for the parametric bootstrap.
        """
        if X is None:
            raise ValueError(
                f"{type(self).__name__} does not keep its training data: pass it, "
                "conf_int(method='bootstrap', X=X)"
            )
        rows = [X] if y is None else [X, y]
        n = num_rows(X)
        lengths = fit_params.get("lengths")
        simulate = None
        if hasattr(self, "sample"):
            def simulate(rng):
                # one draw per sequence (HMMs' ``lengths``), else one of n rows
                sizes = [n] if lengths is None else [int(m) for m in lengths]
                draws = []
                for m in sizes:
                    d = self.sample(m, random_state=int(rng.integers(2**31 - 1)))
                    draws.append(d[0] if isinstance(d, tuple) else d)
                kw = {} if lengths is None else {"lengths": np.asarray(lengths)}
                return [np.concatenate(draws)], kw
        return rows, dict(fit_params), simulate

    def bootstrap_replicates(self, n_boot: int = 999, *, X=None, y=None,
                             parametric: bool = False, random_state=None, n_jobs=None,
                             **fit_params) -> np.ndarray:
        """Bootstrap replicates of ``estimates_``, shape ``(n_ok, n_free_params)``.

        The arguments are as :meth:`conf_int` with ``method="bootstrap"``; mixture
        components are aligned to this fit's. Refits that fail (no MLE on a resample)
        are dropped, with a warning when more than 5% fail.
        """
        check_is_fitted(self)
        rows, kw, simulate = self._bootstrap_setup(X, y, fit_params)
        if parametric and simulate is None:
            raise ValueError(f"{type(self).__name__} cannot simulate from its fit; use "
                             "parametric=False")
        if not parametric and "lengths" not in kw:
            # a fast refit from weighted statistics where the estimator has one (the same
            # replicates as refitting clones on the resampled rows)
            counts = boot.resample_counts(num_rows(rows[0]), int(n_boot), random_state)
            fast = self._replicates_from_counts(rows, kw, counts)
            if fast is not None:
                return self._align(boot.collect_replicates(list(fast), int(n_boot)))
        reps = boot.bootstrap_replicates(self._bootstrap_template(), rows, kw,
                                         n_boot=int(n_boot),
                                         simulate=simulate if parametric else None,
                                         random_state=random_state, n_jobs=n_jobs)
        return self._align(reps)

    def _replicates_from_counts(self, rows, kwargs_rows, counts):
        """Replicate estimate vectors ``(n_boot, k)`` of the resamples whose row counts
        are the columns of ``counts`` (NaN rows where a refit fails), without refitting
        clones; None where the estimator has no such path (a hook)."""
        return None

    def _bootstrap_template(self):
        """The estimator each replicate clones (a hook)."""
        return self

    def _align(self, reps):
        layout = boot.component_layout(self.param_names_)
        if layout is None:
            return reps
        scale = np.where(np.isfinite(self.bse_) & (self.bse_ > 0), self.bse_, 1.0)
        return np.array([boot.align_components(r, self.estimates_, layout, scale)
                         for r in reps])

    def _bootstrap_interval(self, alpha, X, y, n_boot, kind, parametric, random_state,
                            n_jobs, fit_params):
        if kind not in ("percentile", "bca"):
            raise ValueError(f"kind must be 'percentile' or 'bca', got {kind!r}")
        if int(n_boot) < 2:
            raise ValueError(f"n_boot must be at least 2, got {n_boot!r}")
        reps = self.bootstrap_replicates(n_boot, X=X, y=y, parametric=parametric,
                                         random_state=random_state, n_jobs=n_jobs,
                                         **fit_params)
        if kind == "percentile":
            return boot.percentile_interval(reps, alpha)
        rows, kw, _ = self._bootstrap_setup(X, y, fit_params)
        jack = None
        if "lengths" not in kw:  # the fast refit of the same leave-out groups
            fast = self._replicates_from_counts(rows, kw,
                                                boot.jackknife_counts(num_rows(rows[0])))
            if fast is not None:
                jack = fast[np.all(np.isfinite(fast), axis=1)]
                if len(jack) < 3:
                    raise ValueError("the jackknife for the BCa acceleration failed; use "
                                     "kind='percentile'")
        if jack is None:
            jack = boot.jackknife(self._bootstrap_template(), rows, kw)
        jack = self._align(jack)
        return boot.bca_interval(reps, self.estimates_, jack, alpha)
