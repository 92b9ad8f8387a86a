"""A summary table: plain text, HTML for notebooks, and a pandas DataFrame."""

from __future__ import annotations

import html

import numpy as np


class Summary:
    """Summary of a fitted likelihood model.

    Printing gives a text table; notebooks render ``_repr_html_``; ``to_frame()``
    returns a :class:`pandas.DataFrame` (pandas is optional).

    Attributes
    ----------
    header : dict
        Model-level facts (method, log-likelihood, AIC, ...).
    names : list of str
        Parameter names, in the estimator's ``param_names_`` order.
    estimate, std_err, z, pvalue : ndarray
        Per-parameter columns.
    ci : ndarray of shape (n_params, 2)
        Wald confidence intervals at level ``1 - alpha``.
    """

    def __init__(self, header, names, estimate, std_err, z, pvalue, ci, alpha=0.05):
        self.header = dict(header)
        self.names = list(names)
        self.estimate = np.asarray(estimate, dtype=float)
        self.std_err = np.asarray(std_err, dtype=float)
        self.z = np.asarray(z, dtype=float)
        self.pvalue = np.asarray(pvalue, dtype=float)
        self.ci = np.asarray(ci, dtype=float).reshape(-1, 2)
        self.alpha = alpha

    def _columns(self):
        lo = f"[{self.alpha / 2:.3g}"
        hi = f"{1 - self.alpha / 2:.3g}]"
        return ["coef", "std err", "z", "P>|z|", lo, hi]

    def _rows(self):
        for i, name in enumerate(self.names):
            yield name, [
                self.estimate[i],
                self.std_err[i],
                self.z[i],
                self.pvalue[i],
                self.ci[i, 0],
                self.ci[i, 1],
            ]

    @staticmethod
    def _fmt(v, col):
        if col == "P>|z|":
            return f"{v:.3f}" if np.isfinite(v) else "nan"
        return f"{v:.4g}"

    def as_text(self) -> str:
        """The summary as a plain-text table."""
        cols = self._columns()
        names = [str(n) for n in self.names]
        width = max([len(n) for n in names] + [8])
        cells = [[self._fmt(v, c) for v, c in zip(vals, cols)] for _, vals in self._rows()]
        colw = [max([len(c)] + [len(r[j]) for r in cells]) for j, c in enumerate(cols)]
        total = width + sum(w + 2 for w in colw)
        lines = ["=" * total]
        key_width = max([22] + [len(str(k)) + 2 for k in self.header])
        for key, val in self.header.items():
            lines.append(f"{str(key) + ':':<{key_width}}{val}")
        lines.append("-" * total)
        lines.append(" " * width + "".join(f"  {c:>{w}}" for c, w in zip(cols, colw)))
        for name, row in zip(names, cells):
            lines.append(f"{name:<{width}}" + "".join(f"  {c:>{w}}" for c, w in zip(row, colw)))
        lines.append("=" * total)
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.as_text()

    def __repr__(self) -> str:
        return self.as_text()

    def _repr_html_(self) -> str:
        cols = self._columns()
        head = "".join(
            f"<tr><th style='text-align:left'>{html.escape(str(k))}</th>"
            f"<td style='text-align:left'>{html.escape(str(v))}</td></tr>"
            for k, v in self.header.items()
        )
        th = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
        body = "".join(
            f"<tr><th>{html.escape(str(name))}</th>"
            + "".join(f"<td>{self._fmt(v, c)}</td>" for v, c in zip(vals, cols))
            + "</tr>"
            for name, vals in self._rows()
        )
        return (
            f"<table>{head}</table>"
            f"<table><thead><tr><th></th>{th}</tr></thead><tbody>{body}</tbody></table>"
        )

    def to_frame(self):
        """The parameter table as a :class:`pandas.DataFrame` (requires pandas)."""
        try:
            import pandas as pd
        except ImportError as exc:  # pragma: no cover - depends on environment
            raise ImportError("Summary.to_frame() requires pandas: pip install pandas") from exc
        data = {c: [row[j] for _, row in self._rows()] for j, c in enumerate(self._columns())}
        return pd.DataFrame(data, index=[str(n) for n in self.names])
