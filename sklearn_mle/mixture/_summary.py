"""A summary of a fitted mixture: model facts and one row per component."""

from __future__ import annotations

import html

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ..base import LikelihoodMixin


class MixtureSummary:
    """Summary of a fitted mixture: a header and a per-component table.

    Prints as text, renders as HTML in notebooks (``_repr_html_``) and converts to a
    pandas DataFrame with ``to_frame()`` (pandas is optional).
    """

    def __init__(self, header, columns, rows):
        self.header = dict(header)
        self.columns = list(columns)
        self.rows = [list(r) for r in rows]

    @staticmethod
    def _fmt(v):
        return f"{v:.6g}" if isinstance(v, (float, np.floating)) else str(v)

    def as_text(self) -> str:
        """The summary as a plain-text table."""
        cols = ["component"] + self.columns
        cells = [[str(j)] + [self._fmt(v) for v in row] for j, row in enumerate(self.rows)]
        widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(cols)]
        total = sum(w + 2 for w in widths)
        lines = ["=" * total]
        lines += [f"{k + ':':<24}{v}" for k, v in self.header.items()]
        lines.append("-" * total)
        lines.append("".join(f"{c:>{w}}  " for c, w in zip(cols, widths)))
        lines += ["".join(f"{c:>{w}}  " for c, w in zip(r, widths)) for r in cells]
        lines.append("=" * total)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.as_text()

    __repr__ = __str__

    def _repr_html_(self) -> str:
        head = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>"
                       for k, v in self.header.items())
        cols = "".join(f"<th>{html.escape(c)}</th>" for c in ["component"] + self.columns)
        body = "".join(
            "<tr>" + f"<td>{j}</td>" + "".join(f"<td>{html.escape(self._fmt(v))}</td>"
                                               for v in row) + "</tr>"
            for j, row in enumerate(self.rows))
        return f"<table>{head}</table><table><tr>{cols}</tr>{body}</table>"

    def to_frame(self):
        """The per-component table as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.rows, columns=self.columns)


class MixtureSummaryMixin:
    """``summary()`` for EM mixtures; the subclass gives ``_component_table()``."""

    def _has_prior(self):
        return getattr(self, "prior", None) is not None or (
            getattr(self, "weights_prior", None) is not None)

    def summary(self, alpha: float = 0.05):
        """The summary of the fit: method, log-likelihood, AIC/BIC, convergence and
        restarts, and the table of estimates with standard errors, z, p-values and
        intervals (the package's one :class:`~sklearn_mle.inference.Summary`), for
        mixtures with standard errors (``MixtureMLE``). ``GaussianMixture`` gives a
        per-component table (:class:`MixtureSummary`) until it has them.
        """
        check_is_fitted(self)
        if hasattr(self, "estimates_"):
            out = LikelihoodMixin.summary(self, alpha)
            out.header["Method"] = ("MAP-EM" if self._has_prior() else
                                    "EM (maximum likelihood)")
            out.header["Components"] = str(self.n_components)
            out.header["Converged"] = f"{bool(self.converged_)} ({self.n_iter_} iterations)"
            lbs = getattr(self, "init_lower_bounds_", None)
            if lbs is not None and len(lbs) > 1:
                out.header["Restarts' objectives"] = np.array2string(np.asarray(lbs),
                                                                     precision=5)
            out.header["Covariance"] = "observed information (Louis' method)"
            return out
        prior = getattr(self, "prior", None) is not None or (
            getattr(self, "weights_prior", None) is not None)
        header = {
            "Model": type(self).__name__,
            "Method": "MAP-EM" if prior else "EM (maximum likelihood)",
            "Components": str(self.n_components),
            "No. observations": f"{self.nobs_:.6g}",
            "Log-posterior" if prior else "Log-likelihood": f"{self.loglik_:.6g}",
            "Free parameters": str(self.n_params_),
        }
        if not prior:
            header["AIC"] = f"{-2 * self.loglik_ + 2 * self.n_params_:.6g}"
            header["BIC"] = f"{-2 * self.loglik_ + np.log(self.nobs_) * self.n_params_:.6g}"
        header["Converged"] = f"{bool(self.converged_)} ({self.n_iter_} iterations)"
        lbs = getattr(self, "init_lower_bounds_", None)
        if lbs is not None and len(lbs) > 1:
            header["Restarts' objectives"] = np.array2string(np.asarray(lbs), precision=5)
        cols, rows = self._component_table()
        return MixtureSummary(header, cols, rows)
