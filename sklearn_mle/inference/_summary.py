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

    def __init__(self, header, names, estimate, std_err, z, pvalue, ci, alpha=0.05,
                 stat_name="z"):
        self.stat_name = stat_name
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
        return ["coef", "std err", self.stat_name, f"P>|{self.stat_name}|", lo, hi]

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

    def _formatters(self):
        """One format per column, so each column's numbers align on the decimal point:
        coefficients, standard errors and the interval bounds in fixed point with
        enough decimals for 4 significant digits of the column's smallest entry, or the
        whole column in scientific notation when fixed point would be too wide; the test
        statistic with 3 decimals, the p-value with 3."""
        est = column_format(self.estimate)
        ci = column_format(self.ci.ravel())
        stat = column_format(self.z, fixed=3)
        return [est, column_format(self.std_err), stat, column_format(self.pvalue, fixed=3),
                ci, ci]

    def as_text(self) -> str:
        """The summary as a plain-text table."""
        cols = self._columns()
        names = [str(n) for n in self.names]
        width = max([len(n) for n in names] + [8])
        fmts = self._formatters()
        cells = [[f(v) for v, f in zip(vals, fmts)] for _, vals in self._rows()]
        colw = [max([len(c)] + [len(r[j]) for r in cells]) for j, c in enumerate(cols)]
        total = width + sum(w + 2 for w in colw)
        head = _header_lines(self.header, total)
        rule = max([total] + [len(h) for h in head])
        lines = ["=" * rule, *head, "-" * rule]
        lines.append(" " * width + "".join(f"  {c:>{w}}" for c, w in zip(cols, colw)))
        for name, row in zip(names, cells):
            lines.append(f"{name:<{width}}" + "".join(f"  {c:>{w}}" for c, w in zip(row, colw)))
        lines.append("=" * rule)
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
        fmts = self._formatters()
        body = "".join(
            f"<tr><th>{html.escape(str(name))}</th>"
            + "".join(f"<td>{f(v)}</td>" for v, f in zip(vals, fmts))
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


def column_format(values, fixed=None, digits=4):
    """A formatter shared by a whole column (numbers aligned on the decimal point).

    ``fixed``: that many decimals. Otherwise fixed point with ``digits`` significant
    digits for the smallest non-zero entry, unless that needs more than 8 decimals or
    the largest entry reaches 1e10: then the whole column is in scientific notation
    (never a switch in the middle of a column).
    """
    def fmt_nonfinite(v):
        return "nan" if np.isnan(v) else ("inf" if v > 0 else "-inf")

    if fixed is not None:
        return lambda v: f"{v:.{fixed}f}" if np.isfinite(v) else fmt_nonfinite(v)
    v = np.abs(np.asarray(values, dtype=float))
    v = v[np.isfinite(v) & (v > 0)]
    if v.size == 0:
        dec = digits
    else:
        dec = max(0, digits - 1 - int(np.floor(np.log10(v.min()))))
        if dec > 8 or v.max() >= 1e10:
            return lambda x: f"{x:.{digits - 1}e}" if np.isfinite(x) else fmt_nonfinite(x)
    return lambda x: f"{x:.{dec}f}" if np.isfinite(x) else fmt_nonfinite(x)


def _header_lines(header, total):
    """Header facts in two columns (as statsmodels) when they fit the table width."""
    items = [(f"{k}:", str(v)) for k, v in header.items()]
    if not items:
        return []
    half = (len(items) + 1) // 2
    left, right = items[:half], items[half:]
    lw = max(len(k) for k, _ in left) + 1
    lv = max(len(v) for _, v in left)
    rw = max(len(k) for k, _ in right) + 1 if right else 0
    rv = max(len(v) for _, v in right) if right else 0
    if len(items) < 6 or lw + lv + 4 + rw + rv > max(total, 88):
        kw = max(22, max(len(k) for k, _ in items) + 2)
        return [f"{k:<{kw}}{v}" for k, v in items]
    out = []
    for i, (k, v) in enumerate(left):
        line = f"{k:<{lw}}{v:>{lv}}"
        if i < len(right):
            k2, v2 = right[i]
            line += "    " + f"{k2:<{rw}}{v2:>{rv}}"
        out.append(line)
    return out
