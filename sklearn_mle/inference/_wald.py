"""Wald tests of linear hypotheses ``R theta = q`` and per-row t (or z) tests.

Hypotheses are given as a matrix ``R`` (with ``q``), or as a string of linear
equations in the parameter names, e.g. ``"x1 = x2, x3 = 0"`` or
``"2*x1 + x2 = 1"``. Names are matched as whole tokens, longest first, so names with
brackets, dots or commas (``"component1.covariance[1,1]"``) work as written.
"""

from __future__ import annotations

import re
from typing import NamedTuple

import numpy as np
from scipy import linalg, stats

_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


class WaldTestResult(NamedTuple):
    """Result of ``wald_test``: the statistic, its p-value and degrees of freedom.

    ``distribution`` is ``"chi2"`` (``statistic`` is the Wald chi-squared with
    ``df_num`` degrees of freedom) or ``"F"`` (``statistic`` is the chi-squared divided
    by ``df_num``, referred to F(``df_num``, ``df_denom``)), as statsmodels'
    ``wald_test`` with ``use_f``.
    """

    statistic: float
    pvalue: float
    df_num: int
    df_denom: float | None
    distribution: str


class ContrastResult(NamedTuple):
    """Result of ``t_test``: one row per restriction ``R_i theta = q_i``.

    ``effect`` is the estimate of ``R_i theta`` with its standard error and interval;
    ``statistic`` is ``(R_i theta - q_i) / std_err`` (as statsmodels' ``t_test``).
    """

    effect: np.ndarray
    std_err: np.ndarray
    statistic: np.ndarray
    pvalue: np.ndarray
    conf_int: np.ndarray
    names: list
    distribution: str

    def summary_frame(self):
        """The rows as a :class:`pandas.DataFrame` (statsmodels' column names)."""
        import pandas as pd

        stat = "t" if self.distribution == "t" else "z"
        return pd.DataFrame({"coef": self.effect, "std err": self.std_err, stat: self.statistic,
                             f"P>|{stat}|": self.pvalue, "Conf. Int. Low": self.conf_int[:, 0],
                             "Conf. Int. Upp.": self.conf_int[:, 1]}, index=self.names)


def _tokens(text, names):
    order = sorted(set(names), key=len, reverse=True)
    pos, out = 0, []
    while pos < len(text):
        ch = text[pos]
        if ch.isspace():
            pos += 1
            continue
        hit = next((n for n in order if text.startswith(n, pos)
                    and not _continues(text, pos + len(n))), None)
        if hit is not None:
            out.append(("name", hit))
            pos += len(hit)
            continue
        m = _NUMBER.match(text, pos)
        if m:
            out.append(("num", float(m.group(0))))
            pos = m.end()
            continue
        if ch in "+-*=,":
            out.append(("op", ch))
            pos += 1
            continue
        raise ValueError(f"cannot read the hypothesis {text!r} at {text[pos:]!r}: use the "
                         f"parameter names {list(names)}, numbers, +, -, *, = and commas")
    return out


def _continues(text, end):
    """Whether a name match at ``end`` would cut a longer identifier in two."""
    return end < len(text) and (text[end].isalnum() or text[end] == "_")


def parse_hypotheses(text, names):
    """``(R, q, labels)`` of a string of linear equations in the parameter ``names``.

    Examples
    --------
    >>> R, q, _ = parse_hypotheses("x1 = x2, 2*x3 = 1", ["intercept", "x1", "x2", "x3"])
    >>> R.tolist(), q.tolist()
    ([[0.0, 1.0, -1.0, 0.0], [0.0, 0.0, 0.0, 2.0]], [0.0, 1.0])
    """
    names = list(names)
    index = {n: i for i, n in enumerate(names)}
    rows, rhs, labels = [], [], []
    equations = [[]]
    for tok in _tokens(text, names):
        if tok == ("op", ","):
            equations.append([])
        else:
            equations[-1].append(tok)
    pieces = [p.strip() for p in _split_labels(text, names)]
    for eq_i, toks in enumerate(equations):
        sides = [[]]
        for tok in toks:
            if tok == ("op", "="):
                sides.append([])
            else:
                sides[-1].append(tok)
        if len(sides) != 2:
            raise ValueError(f"hypothesis {text!r}: equation {eq_i + 1} needs exactly one '='")
        row, const = np.zeros(len(names)), 0.0
        for side, part in zip((1.0, -1.0), sides):
            for coef, name in _terms(part, text):
                if name is None:
                    const += side * coef
                else:
                    row[index[name]] += side * coef
        if not np.any(row):
            raise ValueError(f"hypothesis {text!r}: equation {eq_i + 1} names no parameter")
        rows.append(row)
        rhs.append(0.0 - const)
        labels.append(pieces[eq_i] if eq_i < len(pieces) else f"c{eq_i}")
    return np.array(rows), np.array(rhs), labels


def _terms(toks, text):
    """``(coefficient, name or None)`` of each term of one side of an equation."""
    out, i = [], 0
    if not toks:
        raise ValueError(f"hypothesis {text!r}: an empty side of an equation")
    while i < len(toks):
        sign = 1.0
        while i < len(toks) and toks[i][0] == "op" and toks[i][1] in "+-":
            sign = -sign if toks[i][1] == "-" else sign
            i += 1
        coef, name = 1.0, None
        got = False
        while i < len(toks) and toks[i][0] in ("num", "name"):
            kind, val = toks[i]
            if kind == "num":
                coef *= val
            elif name is None:
                name = val
            else:
                raise ValueError(f"hypothesis {text!r}: a product of two parameters is not "
                                 "linear")
            got = True
            i += 1
            if i < len(toks) and toks[i] == ("op", "*"):
                i += 1
            else:
                break
        if not got:
            raise ValueError(f"hypothesis {text!r}: a term is missing")
        out.append((sign * coef, name))
    return out


def _split_labels(text, names):
    """The equations' own text, split at commas that are not inside a name."""
    out, cur, pos = [], "", 0
    order = sorted(set(names), key=len, reverse=True)
    while pos < len(text):
        hit = next((n for n in order if text.startswith(n, pos)), None)
        if hit:
            cur += hit
            pos += len(hit)
        elif text[pos] == ",":
            out.append(cur)
            cur, pos = "", pos + 1
        else:
            cur += text[pos]
            pos += 1
    out.append(cur)
    return out


def restrictions(hypothesis, names, q=None):
    """``(R, q, labels)`` from a string, a matrix ``R`` (with ``q``), or a pair ``(R, q)``."""
    if isinstance(hypothesis, str):
        if q is not None:
            raise ValueError("q is given by the hypothesis string itself")
        return parse_hypotheses(hypothesis, names)
    if isinstance(hypothesis, tuple) and len(hypothesis) == 2 and q is None:
        hypothesis, q = hypothesis
    R = np.atleast_2d(np.asarray(hypothesis, dtype=float))
    if R.shape[1] != len(names):
        raise ValueError(f"R must have {len(names)} columns (one per parameter in "
                         f"param_names_), got shape {R.shape}")
    q = np.zeros(R.shape[0]) if q is None else np.asarray(q, dtype=float).reshape(-1)
    if q.shape != (R.shape[0],):
        raise ValueError(f"q must have {R.shape[0]} entries, got {q.shape}")
    return R, q, [f"c{i}" for i in range(R.shape[0])]


def wald(estimates, cov, R, q, df_denom=None):
    """Wald statistic of ``R theta = q``: chi-squared, or F when ``df_denom`` is given."""
    diff = R @ estimates - q
    V = R @ cov @ R.T
    if not np.all(np.isfinite(V)):
        raise ValueError("the covariance of the restrictions is not finite (a parameter "
                         "without a standard error is involved)")
    try:
        c = linalg.cho_factor(0.5 * (V + V.T), lower=True)
    except linalg.LinAlgError:
        raise ValueError("the restrictions are linearly dependent (R cov R' is singular): "
                         "drop the redundant equations") from None
    stat = float(diff @ linalg.cho_solve(c, diff))
    r = R.shape[0]
    if df_denom is None:
        return WaldTestResult(stat, float(stats.chi2.sf(stat, r)), r, None, "chi2")
    f = stat / r
    return WaldTestResult(f, float(stats.f.sf(f, r, df_denom)), r, float(df_denom), "F")


def contrasts(estimates, cov, R, q, labels, alpha, df=None):
    """Per-row estimates, standard errors, t/z statistics, p-values and intervals."""
    effect = R @ estimates
    se = np.sqrt(np.clip(np.einsum("ij,jk,ik->i", R, cov, R), 0.0, None))
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (effect - q) / se
    if df is None:
        p, crit, dist = 2 * stats.norm.sf(np.abs(t)), stats.norm.ppf(1 - alpha / 2), "z"
    else:
        p, crit, dist = 2 * stats.t.sf(np.abs(t), df), stats.t.ppf(1 - alpha / 2, df), "t"
    ci = np.column_stack([effect - crit * se, effect + crit * se])
    return ContrastResult(effect, se, t, p, ci, list(labels), dist)
