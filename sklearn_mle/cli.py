"""The ``sklearn-mle`` command line: rank distribution families on the columns of a CSV.

::

    sklearn-mle fit [FILE.csv] [--column C ...] [--families F ...]
                    [--criterion aic|aicc|bic] [--alpha 0.05] [--ci wald|profile]
                    [--gof [--n-boot 200] [--seed S] [--n-jobs J]] [--shifted]
                    [--plot FILE.png]
                    [--format table|csv|json]
    sklearn-mle families

With no file, ``fit`` runs on the bundled data set (ANES 1996, see
:func:`sklearn_mle.datasets.load_default_data`: counts, 0/1 and continuous columns).
The file is read with pandas. All the statistics come from
:func:`sklearn_mle.model_selection.rank_distributions`; this module only reads the
file and formats the tables: text tables that fit a 100-column terminal, or tidy
CSV/JSON with one row per column, family and parameter. Work over a second shows a
progress line on stderr (on a terminal). Bad input gives one line on stderr and exit
status 2.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import threading
import time
from collections.abc import Sequence

import numpy as np

from .datasets import BUNDLED_DATASETS, default_data_path

# the model-selection modules (and through them scikit-learn, SciPy and pandas, ~1.5 s
# of imports) are imported by the commands that fit, so ``--help`` answers at once

__all__ = ["main"]

_PROG = "sklearn-mle"
_WIDTH = 100
_MISSING = ["", "na", "NA", "nan", "NaN", "n/a", "N/A", "null", "NULL", "none", "None", "."]


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
            "confidence intervals, log-likelihood, AIC, BIC and Akaike weight. Fits on "
            "the boundary of the parameter space are listed without weight. With no "
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
    fit.add_argument("--criterion", default="aic", type=str.lower,
                     choices=("aic", "aicc", "bic"), help="ranking criterion (default: aic)")
    fit.add_argument("--alpha", default=0.05, type=float,
                     help="1 - confidence level of the intervals (default: 0.05)")
    fit.add_argument("--ci", default="wald", choices=("wald", "wald-linear", "profile"),
                     help="intervals: wald (on the log/logit scale, default), "
                     "wald-linear or profile")
    fit.add_argument("--gof", action="store_true",
                     help="goodness of fit: KS, Cramer-von Mises, Anderson-Darling "
                     "(chi-square for counts) with parametric-bootstrap p-values")
    fit.add_argument("--n-boot", default=200, type=int,
                     help="bootstrap replicates of --gof (default: 200)")
    fit.add_argument("--seed", default=None, type=int, help="random seed of --gof")
    fit.add_argument("--n-jobs", default=None, type=int,
                     help="threads for the --gof bootstrap replicates (default: 1)")
    fit.add_argument("--shifted", action="store_true",
                     help="also fit the 3-parameter Gamma, LogNormal and Weibull with a "
                     "fitted threshold (loc) to continuous columns")
    fit.add_argument("--plot", metavar="FILE.png", default=None,
                     help="4-panel diagnostic plot (density, CDF, Q-Q, P-P) of the best "
                     "fits; one file per column when several are fitted")
    fit.add_argument("--format", default="table", choices=("table", "text", "csv", "json"),
                     help="text tables (table), or tidy csv/json: one row per column, "
                     "family and parameter")
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

    from .model_selection import FAMILIES

    print(f"{'family':<18}{'kind':<12}{'domain':<24}{'default':<9}available")
    for f in FAMILIES:
        avail = "yes" if hasattr(sklearn_mle, f.class_name) else "no"
        print(f"{f.name:<18}{f.kind:<12}{f.domain:<24}{'yes' if f.default else 'no':<9}{avail}")


# ---------------------------------------------------------------- reading
def _read_text(name):
    try:
        with open(name, "rb") as fh:
            raw = fh.read()
    except FileNotFoundError:
        raise ValueError(f"file not found: {name}") from None
    except IsADirectoryError:
        raise ValueError(f"{name} is a directory, not a CSV file") from None
    except OSError as exc:
        raise ValueError(f"cannot read {name}: {exc.strerror or exc}") from None
    try:
        raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(f"{name} is not a UTF-8 text (CSV) file") from None
    return raw


def _check_fields(name, raw, header_at, sep, n_fields):
    """Every data line has as many fields as the header (pandas pads short rows with
    NaN silently). Counted on the bytes with NumPy; quoted files go through csv."""
    body = raw[header_at:]
    if b'"' in body:
        rows = csv.reader(body.decode("utf-8").splitlines(), delimiter=sep)
        lengths = np.array([len(r) for r in rows if r])
    else:
        b = np.frombuffer(body, dtype=np.uint8)
        ends = np.flatnonzero(b == 10)
        if ends.size == 0 or ends[-1] != b.size - 1:
            ends = np.append(ends, b.size)
        starts = np.concatenate([[0], ends[:-1] + 1])
        seps = np.bincount(np.searchsorted(ends, np.flatnonzero(b == ord(sep))),
                           minlength=ends.size)[:ends.size]
        length = ends - starts
        first = np.where(length > 0, b[np.minimum(starts, b.size - 1)], 0)
        cr_only = (length == 1) & (first == 13)
        keep = (length > 0) & ~cr_only
        lengths = seps[keep] + 1
    bad = np.flatnonzero(lengths[1:] != n_fields)
    if bad.size:
        row = int(bad[0]) + 1
        raise ValueError(f"{name}: data row {row} has {int(lengths[row])} fields, the header "
                         f"has {n_fields}")


def read_columns(path) -> tuple[dict[str, np.ndarray], int]:
    """Read a CSV file with pandas into ``{column: array}`` and its number of rows.

    Leading ``#`` lines (before the header) are comments; the delimiter (``,``, ``;``
    or tab) is sniffed from the header. A column whose non-missing cells are all
    finite numbers becomes a float array with NaN for missing cells; any other column
    an array of strings.
    """
    import pandas as pd

    name = os.fspath(path)
    raw = _read_text(name)
    text_start = 3 if raw.startswith(b"\xef\xbb\xbf") else 0
    lines = []  # the leading lines, up to the header (not the whole file)
    pos = text_start
    while pos < len(raw):
        end = raw.find(b"\n", pos)
        end = len(raw) if end < 0 else end
        lines.append(raw[pos:end].decode("utf-8").rstrip("\r"))
        pos = end + 1
        if lines[-1].strip() and not lines[-1].lstrip().startswith("#"):
            break
    skip = len(lines) - 1
    if not lines or not lines[-1].strip() or lines[-1].lstrip().startswith("#"):
        raise ValueError(f"{name} is empty: a CSV file needs a header row and data rows")
    try:
        sep = csv.Sniffer().sniff(lines[skip], delimiters=",;\t").delimiter
    except csv.Error:
        sep = ","
    header = [h.strip() for h in next(csv.reader([lines[skip]], delimiter=sep))]
    if any(h == "" for h in header):
        raise ValueError(f"{name}: the header row has an empty column name")
    dupes = sorted({h for h in header if header.count(h) > 1})
    if dupes:
        raise ValueError(f"{name}: duplicate column name(s) in the header: {', '.join(dupes)}")
    header_at = text_start  # byte offset of the header line
    for _ in range(skip):
        header_at = raw.index(b"\n", header_at) + 1
    _check_fields(name, raw, header_at, sep, len(header))
    try:
        frame = pd.read_csv(name, sep=sep, skiprows=skip, skip_blank_lines=True,
                            na_values=_MISSING, keep_default_na=False, comment=None,
                            encoding="utf-8-sig", skipinitialspace=True, dtype=None)
    except pd.errors.EmptyDataError:
        raise ValueError(f"{name} has a header but no data rows") from None
    except pd.errors.ParserError as exc:
        raise ValueError(f"{name} is not a valid CSV file: {str(exc).strip()}") from None
    if frame.shape[0] == 0:
        raise ValueError(f"{name} has a header but no data rows")
    frame.columns = header
    out = {}
    for col in header:
        s = frame[col]
        if s.dtype.kind in "iuf":
            values = s.to_numpy(dtype=float)
            if np.all(np.isfinite(values) | np.isnan(values)):
                out[col] = values
                continue
        out[col] = s.astype(str).str.strip().to_numpy(dtype=object)
    return out, int(frame.shape[0])


# ---------------------------------------------------------------- fitting
class _Progress:
    """A progress line on stderr, shown on a terminal once the work passes a second.

    The line is redrawn when a column starts and, from a small background thread,
    every quarter second while one column's fits run (a 10^6-row column, or --gof /
    --shifted, can take several seconds on its own)."""

    def __init__(self, total):
        self.total, self.start, self.shown = total, time.perf_counter(), False
        self.tty = hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
        self.state = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._ticker = None
        if self.tty:
            self._ticker = threading.Thread(target=self._tick, daemon=True)
            self._ticker.start()

    def _tick(self):
        while not self._stop.wait(0.25):
            if self.state is not None:
                self._draw(*self.state)

    def _draw(self, i, name):
        elapsed = time.perf_counter() - self.start
        if elapsed > 1.0:
            with self._lock:
                if self._stop.is_set():
                    return
                print(f"\r{_PROG}: fitting column {i}/{self.total} {name!r} "
                      f"({elapsed:.1f} s)", end="", file=sys.stderr, flush=True)
                self.shown = True

    def update(self, i, name):
        self.state = (i, name)
        if self.tty:
            self._draw(i, name)

    def close(self):
        with self._lock:
            self._stop.set()
        if self._ticker is not None:
            self._ticker.join()
        if self.shown:
            print("\r" + " " * 70 + "\r", end="", file=sys.stderr, flush=True)


def _fit(args):
    if not 0.0 < args.alpha < 1.0:
        raise _UsageError(f"--alpha must be in (0, 1), got {args.alpha}")
    if args.n_boot < 1:
        raise _UsageError(f"--n-boot must be >= 1, got {args.n_boot}")
    if args.file is not None and args.dataset is not None:
        raise _UsageError("give either FILE or --dataset, not both")
    from .model_selection import rank_distributions, resolve_families

    if args.plot is not None:
        _check_plotting()
    path = args.file if args.file is not None else default_data_path(args.dataset or "anes96")
    columns, n_rows = read_columns(path)
    requested = _split([v for group in args.column for v in group]) if args.column else None
    families = _split([v for group in args.families for v in group]) if args.families else None
    if families is not None:
        resolve_families(families)  # unknown names fail before any column is fitted
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
    notes = []
    if requested is None:
        skipped = [c for c, v in columns.items() if v.dtype == object]
        if skipped:
            notes.append(f"skipped non-numeric column(s): {', '.join(skipped)}")
    results = []
    progress = _Progress(len(names))
    try:
        for i, name in enumerate(names, start=1):
            progress.update(i, name)
            raw = columns[name]
            x = raw[~np.isnan(raw)]
            dropped = raw.size - x.size
            if x.size < 2:
                raise _UsageError(
                    f"column {name!r} has {x.size} non-missing value(s); need >= 2")
            rows = rank_distributions(
                x, families=families, criterion=args.criterion, alpha=args.alpha,
                ci_method=args.ci, gof=args.gof, n_boot=args.n_boot,
                random_state=args.seed, n_jobs=args.n_jobs, shifted=args.shifted,
                as_frame=False,
            )
            results.append((name, x, dropped, rows))
    finally:
        progress.close()
    if args.format == "csv":
        _tidy(results).to_csv(sys.stdout, index=False, lineterminator="\n")
    elif args.format == "json":
        text = _tidy(results).to_json(orient="records", double_precision=15)
        print(json.dumps(json.loads(text), indent=1))
    else:
        _write_text(path, n_rows, notes, results, args)
    if args.plot is not None:
        _plot(results, args.plot)
    return 0


def _first_non_numeric(values):
    for v in values:
        try:
            float(v)
        except (TypeError, ValueError):
            return v
    return values[0]


def _tidy(results):
    import pandas as pd

    from .model_selection import parameter_frame

    frames = []
    for name, x, dropped, rows in results:
        frame = parameter_frame(rows, column=name)
        frame.insert(1, "n", x.size)
        frame.insert(2, "missing", dropped)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _check_plotting():
    try:
        import matplotlib  # noqa: F401

        from .plotting import plot_fit_diagnostics  # noqa: F401
    except ImportError as exc:
        raise _UsageError(f"--plot needs matplotlib ({exc})") from None


def _plot(results, target):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from .plotting import plot_fit_diagnostics

    stem, ext = os.path.splitext(target)
    for name, x, _, rows in results:
        best = [r for r in rows if r.ranked][:3]
        if not best:
            continue
        out = target if len(results) == 1 else f"{stem}_{name}{ext or '.png'}"
        displays = plot_fit_diagnostics([r.estimator for r in best], x.reshape(-1, 1),
                                        labels=[r.family for r in best])
        fig = displays[0, 0].figure_
        fig.suptitle(f"{name}: best fits by the criterion")
        fig.savefig(out, dpi=100)
        plt.close(fig)
        print(f"Plot: {out}", file=sys.stderr)


# ---------------------------------------------------------------- text tables
def _write_text(path, n_rows, notes, results, args):
    from .model_selection import format_ranking

    print(f"Data: {path} ({n_rows} rows)")
    for note in notes:
        print(f"Note: {note}")
    for name, x, dropped, rows in results:
        print()
        print(format_ranking(name, x, rows, criterion=args.criterion, alpha=args.alpha,
                             ci=args.ci, n_missing=dropped, gof=args.gof,
                             n_boot=args.n_boot, width=_WIDTH))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
