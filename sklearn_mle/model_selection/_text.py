"""Text tables of a distribution ranking, within a terminal's width.

What ``sklearn-mle fit`` prints per column: rank, family, log-likelihood, AIC, BIC,
criterion difference, weight (and bootstrap goodness-of-fit p-values), then the
parameters with their intervals, wrapped under their column or, when the numbers
leave too little room, on their own lines. Boundary fits are shown without weight
or rank; notes are wrapped to the width.
"""

from __future__ import annotations

import textwrap

import numpy as np

from ._ranking import column_domain

__all__ = ["format_ranking"]

_WIDTH = 100

def _fmt_num(v, spec=".6g"):
    if v is None or np.isnan(v):
        return "nan"
    return ("inf" if v > 0 else "-inf") if np.isinf(v) else format(float(v), spec)


def _fmt_weight(w):
    if not np.isfinite(w):
        return "-"
    return f"{w:.3f}" if w >= 0.0005 or w == 0 else f"{w:.1e}"


def _fmt_p(p):
    if p is None or not np.isfinite(p):
        return "-"
    return f"{p:.3f}" if p >= 0.001 else f"{p:.0e}"


def _params_text(row):
    parts = []
    for name, est, (lo, hi) in zip(row.param_names, row.params, row.conf_int):
        ci = "[no interval]" if np.isnan(lo) else f"[{_fmt_num(lo, '.4g')}, {_fmt_num(hi, '.4g')}]"
        parts.append(f"{name}={_fmt_num(est, '.4g')} {ci}")
    return "  ".join(parts)


def _gof_cells(row):
    g = row.gof
    if g is None:
        return ["-", "-"]
    if g.kind == "discrete":
        return [_fmt_p(g.chi2_boot_pvalue), "-"]
    return [_fmt_p(g.ks_pvalue), _fmt_p(g.ad_pvalue)]


def _wrap(text, indent, width):
    """Wrap ``text`` to ``width``, continuation lines under ``indent``."""
    width = max(width - indent, 30)
    chunks = text.split("  ")  # parameters are separated by two spaces
    lines, current = [], ""
    for chunk in chunks:
        candidate = f"{current}  {chunk}" if current else chunk
        if len(candidate) <= width or not current:
            current = candidate
        else:
            lines.append(current)
            current = chunk
    lines.append(current)
    return lines


def format_ranking(name, x, rows, *, criterion="aic", alpha=0.05, ci="wald",
                   n_missing=0, gof=False, n_boot=0, width=_WIDTH) -> str:
    """The text table of one column's ranking, lines at most ``width`` long.

    Parameters
    ----------
    name : str
        The column's name.
    x : ndarray of shape (n_samples,)
        Its (non-missing) values.
    rows : list of DistributionFit
        What :func:`rank_distributions` returned for it.
    criterion, alpha, ci : str, float, str
        As passed to :func:`rank_distributions` (shown in the title).
    n_missing : int, default=0
        Missing values dropped before fitting (shown in the title).
    gof : bool, default=False
        Add the bootstrap p-value columns (the rows carry ``gof``).
    n_boot : int, default=0
        Bootstrap replicates (shown in a note).
    width : int, default=100

    Returns
    -------
    str

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle.model_selection import format_ranking, rank_distributions
    >>> x = np.array([2.0, 3, 1, 4, 0, 2, 5, 1, 2, 3])
    >>> rows = rank_distributions(x, families=["Poisson"], as_frame=False)
    >>> print(format_ranking("k", x, rows))
    Column 'k': n=10, non-negative integers; ranked by AIC; parameters [95% wald CI]
    rank  family   log-lik    AIC    BIC  dAIC  weight  parameters
    1     Poisson   -17.47  36.94  37.25  0.00   1.000  rate=2.3 [1.528, 3.461]
    """
    out = []
    level = f"{100 * (1 - alpha):g}%"
    crit = criterion.upper()
    extra = f", {n_missing} missing dropped" if n_missing else ""
    out.append(f"Column {name!r}: n={x.size}{extra}, {column_domain(x)}; ranked by {crit}; "
               f"parameters [{level} {ci} CI]")
    header = ["rank", "family", "log-lik", "AIC", "BIC", f"d{crit}", "weight"]
    if gof:
        header += ["p(KS|X2)", "p(AD)"]
    header.append("parameters")
    table = []
    mixed = len({r.kind for r in rows if r.ranked}) > 1
    for r in rows:
        family = f"{r.family} ({r.kind})" if mixed and r.ranked else r.family
        cells = _gof_cells(r) if gof else []
        if r.ranked:
            table.append([str(r.rank), family, _fmt_num(r.loglik, ".2f"),
                          _fmt_num(r.aic, ".2f"), _fmt_num(r.bic, ".2f"),
                          _fmt_num(r.delta, ".2f"), _fmt_weight(r.weight), *cells,
                          _params_text(r)])
        elif r.status == "boundary":
            table.append(["-", family, _fmt_num(r.loglik, ".2f"), _fmt_num(r.aic, ".2f"),
                          _fmt_num(r.bic, ".2f"), "", "-", *cells,
                          f"boundary: {_params_text(r)}"])
        else:
            table.append(["-", family, "", "", "", "", "", *(["", ""] if gof else []),
                          f"{r.status}: {r.message}"])
    widths = [max(len(header[j]), *(len(t[j]) for t in table)) if table else len(header[j])
              for j in range(len(header) - 1)]
    indent = sum(widths) + 2 * len(widths)
    head = _fmt_row(header, widths, [header[-1]])
    # parameters then go on their own lines below each row: no column title needed
    out.append(head if len(head) <= width else _fmt_row(header, widths, [""]))
    for t in table:
        lines = _wrap(t[-1], indent, width)
        if any(len(ln) > width - indent for ln in lines):
            # too narrow beside the numbers: the parameters go on their own lines
            out.append(_fmt_row(t, widths, [""]))
            out.extend(f"{'':6}{ln}" for ln in _wrap(t[-1], 6, width))
            continue
        out.append(_fmt_row(t, widths, lines))
    for r in rows:
        if (r.ranked or r.status == "boundary") and r.message:
            out.append(_note(f"  note {r.family}: ", r.message, width))
    if mixed:
        out.append(_note("  note: ", "densities and probability mass functions are not "
                         f"comparable; ranks, d{crit} and weights are computed within each "
                         "kind", width))
    if gof:
        out.append(_note("  note: ", "p(KS|X2): Kolmogorov-Smirnov p-value (chi-square for "
                         "counts), p(AD): Anderson-Darling; parametric bootstrap with "
                         f"{n_boot} replicates, parameters re-estimated on each", width))
    if not any(r.ranked for r in rows):
        out.append("  no family could be fitted to this column")
    return "\n".join(out)


def _note(prefix, text, width):
    return textwrap.fill(text, width, initial_indent=prefix, subsequent_indent="    ",
                         break_on_hyphens=False)


def _fmt_row(cells, widths, last_lines):
    align = ["<", "<"] + [">"] * (len(widths) - 2)
    head = "  ".join(f"{c:{a}{w}}" for c, a, w in zip(cells, align, widths))
    pad = " " * (len(head) + 2)
    first = f"{head}  {last_lines[0]}".rstrip()
    return "\n".join([first] + [f"{pad}{line}" for line in last_lines[1:]])
