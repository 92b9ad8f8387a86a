"""The ``sklearn-mle`` command line: rank distribution families on the columns of a CSV.

::

    sklearn-mle fit [FILE.csv] [--column C ...] [--families F ...]
                    [--criterion aic|bic] [--alpha 0.05] [--ci wald|profile]
                    [--format text|csv]
    sklearn-mle families

With no file, ``fit`` runs on the bundled data set (ANES 1996, see
:func:`sklearn_mle.datasets.load_default_data`). All the statistics come from
:func:`sklearn_mle.model_selection.rank_distributions`; this module only reads the
file and formats the tables. Bad input gives one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
from collections.abc import Sequence

import numpy as np

from .datasets import BUNDLED_DATASETS, default_data_path, read_csv_columns
from .model_selection import FAMILIES, column_domain, rank_distributions
from .model_selection._ranking import _lookup

__all__ = ["main"]

_PROG = "sklearn-mle"


class _UsageError(Exception):
    """Bad command-line input: reported on one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, no usage dump
        raise _UsageError(f"{message} (see '{self.prog} --help')")


def _split(values):
    """``--x a b --x c,d`` -> ``[a, b, c, d]``."""
    if values is None:
        return None
    out = []
    for v in values:
        out.extend(p.strip() for p in v.split(",") if p.strip())
    return out


def _build_parser():
    parser = _Parser(
        prog=_PROG,
        description="Maximum-likelihood fits with inference, from the command line.",
    )
    sub = parser.add_subparsers(dest="command", metavar="{fit,families}", parser_class=_Parser)
    fit = sub.add_parser(
        "fit",
        help="fit and rank distribution families on the numeric columns of a CSV file",
        description=(
            "Fit every distribution family valid for each numeric column's domain, rank "
            "the fits by AIC or BIC and print a table per column: parameters with "
            "confidence intervals, log-likelihood, AIC, BIC and Akaike weight. With no "
            "FILE the bundled data set (ANES 1996, 944 rows) is used."
        ),
    )
    fit.add_argument("file", nargs="?", metavar="FILE.csv",
                     help="CSV file with a header row (default: the bundled data set)")
    fit.add_argument("--dataset", choices=sorted(BUNDLED_DATASETS), default=None,
                     help="a bundled data set instead of FILE: anes96 (default; counts, "
                     "scales, a 0/1 vote) or engel (positive continuous)")
    fit.add_argument("--column", "-c", action="append", nargs="+", metavar="C",
                     help="column(s) to fit (default: every numeric column)")
    fit.add_argument("--families", "-f", action="append", nargs="+", metavar="F",
                     help="families to fit, e.g. Gamma Weibull (default: by domain)")
    fit.add_argument("--criterion", default="aic", type=str.lower, choices=("aic", "bic"),
                     help="ranking criterion (default: aic)")
    fit.add_argument("--alpha", default=0.05, type=float,
                     help="1 - confidence level of the intervals (default: 0.05)")
    fit.add_argument("--ci", default="wald", choices=("wald", "profile"),
                     help="interval method (default: wald)")
    fit.add_argument("--format", default="text", choices=("text", "csv"),
                     help="text tables, or one CSV row per column and family")
    sub.add_parser("families", help="list the distribution families and their domains")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 success, 2 bad input).

    Parameters
    ----------
    argv : sequence of str or None, default=None
        Arguments without the program name; None reads ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit status.

    Examples
    --------
    >>> from sklearn_mle.cli import main
    >>> main(["fit", "--column", "vote"])  # doctest: +ELLIPSIS
    Data: ...anes96.csv (944 rows)
    ...
    0
    """
    parser = _build_parser()
    try:
        args = parser.parse_args(None if argv is None else list(argv))
        if args.command is None:
            raise _UsageError(f"a command is needed: fit or families (see '{_PROG} --help')")
        if args.command == "families":
            _print_families()
            return 0
        return _fit(args)
    except (_UsageError, ValueError) as exc:
        print(f"{_PROG}: error: {exc}", file=sys.stderr)
        return 2
    except SystemExit as exc:  # --help
        return exc.code if isinstance(exc.code, int) else 0
    except BrokenPipeError:  # the reader went away (``sklearn-mle fit | head``)
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python's advice: no error at exit
        return 0


def _print_families():
    import sklearn_mle

    print(f"{'family':<18}{'kind':<12}{'domain':<24}{'default':<9}available")
    for f in FAMILIES:
        avail = "yes" if hasattr(sklearn_mle, f.class_name) else "no"
        print(f"{f.name:<18}{f.kind:<12}{f.domain:<24}{'yes' if f.default else 'no':<9}{avail}")


def _fit(args):
    if not 0.0 < args.alpha < 1.0:
        raise _UsageError(f"--alpha must be in (0, 1), got {args.alpha}")
    if args.file is not None and args.dataset is not None:
        raise _UsageError("give either FILE or --dataset, not both")
    path = args.file if args.file is not None else default_data_path(args.dataset or "anes96")
    columns = read_csv_columns(path)
    requested = _split([v for group in args.column for v in group]) if args.column else None
    families = _split([v for group in args.families for v in group]) if args.families else None
    if families is not None:
        _lookup(families)  # unknown names fail before any column is fitted
    if requested is not None:
        for name in requested:
            if name not in columns:
                raise _UsageError(
                    f"unknown column {name!r} in {path}; columns are: {', '.join(columns)}"
                )
            if columns[name].dtype == object:
                raise _UsageError(
                    f"column {name!r} in {path} is not numeric (first value "
                    f"{_first_non_numeric(columns[name])!r}); choose a numeric column"
                )
        names = list(dict.fromkeys(requested))
    else:
        names = [c for c, v in columns.items() if v.dtype != object]
        if not names:
            raise _UsageError(f"{path} has no numeric column to fit")
    n_rows = len(next(iter(columns.values())))
    notes = []
    if requested is None:
        skipped = [c for c, v in columns.items() if v.dtype == object]
        if skipped:
            notes.append(f"skipped non-numeric column(s): {', '.join(skipped)}")
    results = []
    for name in names:
        raw = columns[name]
        x = raw[~np.isnan(raw)]
        dropped = raw.size - x.size
        if x.size < 2:
            raise _UsageError(f"column {name!r} has {x.size} non-missing value(s); need >= 2")
        rows = rank_distributions(
            x, families=families, criterion=args.criterion, alpha=args.alpha, ci_method=args.ci
        )
        results.append((name, x, dropped, rows))
    if args.format == "csv":
        _write_csv(results, args)
    else:
        _write_text(path, n_rows, notes, results, args)
    return 0


def _first_non_numeric(values):
    for v in values:
        try:
            float(v)
        except ValueError:
            return v
    return values[0]


# ---------------------------------------------------------------- formatting
def _fmt_num(v, spec=".6g"):
    if np.isnan(v):
        return "nan"
    return ("inf" if v > 0 else "-inf") if np.isinf(v) else format(float(v), spec)


def _fmt_weight(w):
    if not np.isfinite(w):
        return "-"
    return f"{w:.3f}" if w >= 0.0005 or w == 0 else f"{w:.1e}"


def _params_text(row):
    parts = []
    for name, est, (lo, hi) in zip(row.param_names, row.params, row.conf_int):
        parts.append(f"{name}={_fmt_num(est, '.4g')} [{_fmt_num(lo, '.4g')}, "
                     f"{_fmt_num(hi, '.4g')}]")
    return "  ".join(parts)


def _write_text(path, n_rows, notes, results, args):
    level = f"{100 * (1 - args.alpha):g}%"
    crit = args.criterion.upper()
    print(f"Data: {path} ({n_rows} rows)")
    for note in notes:
        print(f"Note: {note}")
    for name, x, dropped, rows in results:
        print()
        extra = f", {dropped} missing dropped" if dropped else ""
        print(f"Column {name!r}: n={x.size}{extra}, {column_domain(x)}; ranked by {crit}")
        header = ["rank", "family", "log-lik", "AIC", "BIC", f"d{crit}", "weight",
                  f"parameters [{level} {args.ci} CI]"]
        table = []
        mixed = len({r.kind for r in rows if r.ranked}) > 1
        for r in rows:
            if r.ranked:
                family = f"{r.family} ({r.kind})" if mixed else r.family
                table.append([str(r.rank), family, _fmt_num(r.loglik, ".2f"),
                              _fmt_num(r.aic, ".2f"), _fmt_num(r.bic, ".2f"),
                              _fmt_num(r.delta, ".2f"), _fmt_weight(r.weight),
                              _params_text(r)])
            else:
                table.append(["-", r.family, "", "", "", "", "", f"{r.status}: {r.message}"])
        widths = [max(len(header[j]), *(len(t[j]) for t in table)) if table else len(header[j])
                  for j in range(len(header) - 1)]
        print(_fmt_row(header, widths))
        for t in table:
            print(_fmt_row(t, widths))
        warned = [r for r in rows if r.ranked and r.message]
        for r in warned:
            print(f"  note {r.family}: {r.message}")
        if mixed:
            print("  note: densities and probability mass functions are not comparable; "
                  f"ranks, d{crit} and weights are computed within each kind")
        if not any(r.ranked for r in rows):
            print("  no family could be fitted to this column")


def _fmt_row(cells, widths):
    align = ["<", "<", ">", ">", ">", ">", ">"]
    head = "  ".join(f"{c:{a}{w}}" for c, a, w in zip(cells, align, widths))
    return f"{head}  {cells[-1]}".rstrip()


def _write_csv(results, args):
    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["column", "rank", "family", "kind", "status", "n", "loglik", "n_params",
                     "aic", "bic", "delta", "weight", "parameters", "estimates", "ci_lower",
                     "ci_upper", "message"])
    for name, x, _, rows in results:
        for r in rows:
            writer.writerow([
                name, "" if r.rank is None else r.rank, r.family, r.kind, r.status, x.size,
                repr(r.loglik), r.n_params, repr(r.aic), repr(r.bic), repr(r.delta),
                repr(r.weight), ";".join(r.param_names),
                ";".join(repr(float(v)) for v in r.params),
                ";".join(repr(float(v)) for v in r.conf_int[:, 0]),
                ";".join(repr(float(v)) for v in r.conf_int[:, 1]), r.message,
            ])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
