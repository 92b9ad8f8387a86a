"""Tidy tables (pandas DataFrames) of a distribution ranking."""

from __future__ import annotations

import numpy as np

__all__ = ["parameter_frame", "ranking_frame"]

_GOF_COLUMNS = ("ks", "ks_pvalue", "cvm", "cvm_pvalue", "ad", "ad_pvalue", "chi2",
                "chi2_df", "chi2_pvalue", "chi2_boot_pvalue")


def _fmt(v):
    return "nan" if not np.isfinite(v) else f"{v:.4g}"


def _params_text(row):
    return "  ".join(f"{n}={_fmt(e)} [{_fmt(lo)}, {_fmt(hi)}]"
                     for n, e, (lo, hi) in zip(row.param_names, row.params, row.conf_int))


def ranking_frame(rows):
    """One row per family: the ranking of :func:`rank_distributions` as a DataFrame.

    Parameters
    ----------
    rows : list of DistributionFit
        What :func:`rank_distributions` returns.

    Returns
    -------
    pandas.DataFrame
        Columns ``family``, ``kind``, ``status``, ``rank``, ``loglik``, ``n_params``,
        ``aic``, ``aicc``, ``bic``, ``delta``, ``weight``, ``boundary``, the
        goodness-of-fit statistics and p-values when computed, ``parameters`` (the
        estimates with their intervals, as text), ``message`` and ``estimator``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import rank_distributions
    >>> from sklearn_mle.model_selection import ranking_frame
    >>> rows = rank_distributions(np.array([2, 3, 1, 4, 0, 2, 5, 1, 2, 3]), as_frame=False)
    >>> ranking_frame(rows)[["family", "rank", "status"]]
                 family  rank status
    0           Poisson     1     ok
    1  NegativeBinomial  <NA>    ...
    """
    import pandas as pd

    records = []
    with_gof = any(r.gof is not None for r in rows)
    for r in rows:
        rec = {"family": r.family, "kind": r.kind, "status": r.status, "rank": r.rank,
               "loglik": r.loglik, "n_params": r.n_params if r.estimator is not None
               else np.nan, "aic": r.aic, "aicc": r.aicc, "bic": r.bic, "delta": r.delta,
               "weight": r.weight, "boundary": r.status == "boundary"}
        if with_gof:
            for col in _GOF_COLUMNS:
                rec[col] = getattr(r.gof, col) if r.gof is not None else np.nan
        rec["parameters"] = _params_text(r)
        rec["message"] = r.message
        rec["estimator"] = r.estimator
        records.append(rec)
    frame = pd.DataFrame(records)
    frame["rank"] = frame["rank"].astype("Int64")
    return frame


def parameter_frame(rows, column=None):
    """Long table: one row per family and parameter (what ``--format csv`` writes).

    Parameters
    ----------
    rows : list of DistributionFit
    column : str or None
        A ``column`` label added to every row (the CLI's data column).

    Returns
    -------
    pandas.DataFrame
        Columns ``[column,] family, kind, status, rank, loglik, n_params, aic, aicc, bic,
        delta, weight, [gof...], parameter, estimate, ci_lower, ci_upper, message``; a
        family without parameters (not fitted) has one row with empty ``parameter``.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_mle import rank_distributions
    >>> from sklearn_mle.model_selection import parameter_frame
    >>> rows = rank_distributions(np.array([1.2, 0.4, 2.2, 0.9, 1.7]), families=["Gamma"],
    ...                           as_frame=False)
    >>> parameter_frame(rows)[["family", "parameter"]].to_numpy().tolist()
    [['Gamma', 'shape'], ['Gamma', 'rate']]
    """
    import pandas as pd

    base = ranking_frame(rows).drop(columns=["parameters", "estimator"])
    records = []
    for (_, fam), r in zip(base.iterrows(), rows):
        head = fam.to_dict()
        if column is not None:
            head = {"column": column, **head}
        msg = head.pop("message")
        params = list(zip(r.param_names, r.params, r.conf_int)) or [("", np.nan,
                                                                     (np.nan, np.nan))]
        for name, est, (lo, hi) in params:
            records.append({**head, "parameter": name, "estimate": float(est),
                            "ci_lower": float(lo), "ci_upper": float(hi), "message": msg})
    frame = pd.DataFrame(records)
    frame["rank"] = frame["rank"].astype("Int64")
    return frame
