"""The sklearn-mle command line: bundled data, a user CSV, and bad input."""

import csv
import io
import subprocess
import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from sklearn_mle.cli import main
from sklearn_mle.datasets import default_data_path, load_default_data


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _csv_rows(text):
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture(scope="module")
def reference_data():
    """The bundled CSV read by numpy, independently of the package's reader."""
    arr = np.genfromtxt(default_data_path(), delimiter=",", names=True, skip_header=2)
    return {name: np.asarray(arr[name], dtype=float) for name in arr.dtype.names}


def test_bundled_data_loads_with_every_column(reference_data):
    data = load_default_data()
    assert list(data) == list(reference_data)
    for name, values in data.items():
        assert values.dtype == np.float64 and values.shape == (944,)
        assert_allclose(values, reference_data[name], rtol=0, atol=0)
    # logpopul is log(popul + 0.1) by its definition
    assert_allclose(data["logpopul"], np.log(data["popul"] + 0.1), rtol=1e-12)


def test_fit_bundled_data_text_tables(capsys, reference_data):
    code, out, err = _run(capsys, "fit")
    assert code == 0 and err == ""
    assert out.startswith("Data: ") and "anes96.csv (944 rows)" in out
    for name in reference_data:
        assert f"Column {name!r}: n=944" in out
    vote = out.split("Column 'vote'")[1].split("Column ")[0]
    first = vote.splitlines()[2].split()
    assert first[:2] == ["1", "Bernoulli"]
    x = reference_data["vote"]
    aic = -2 * stats.bernoulli.logpmf(x, x.mean()).sum() + 2
    assert first[3] == f"{aic:.2f}"
    assert "p=0.4163 [" in vote


def test_fit_bundled_data_csv_matches_scipy(capsys, reference_data):
    code, out, err = _run(capsys, "fit", "--format", "csv")
    assert code == 0 and err == ""
    rows = _csv_rows(out)
    assert {r["column"] for r in rows} == set(reference_data)
    # Akaike weights sum to one per column (per kind) over the ranked fits
    for col in reference_data:
        for kind in ("continuous", "discrete"):
            ranked = [r for r in rows if r["column"] == col and r["kind"] == kind and r["rank"]]
            ranked = list({r["family"]: r for r in ranked}.values())  # one per family
            if ranked:
                assert_allclose(sum(float(r["weight"]) for r in ranked), 1.0, rtol=1e-12)
                aics = [float(r["aic"]) for r in ranked]
                assert aics == sorted(aics)
    by = {(r["column"], r["family"], r["parameter"]): r for r in rows}
    assert by[("logpopul", "Gaussian", "mean")]["n"] == "944"
    # Gaussian on the real-valued column, independently with scipy
    x = reference_data["logpopul"]
    ll = stats.norm.logpdf(x, x.mean(), x.std()).sum()
    g = by[("logpopul", "Gaussian", "mean")]
    assert_allclose(float(g["loglik"]), ll, rtol=1e-12)
    assert_allclose(float(g["aic"]), -2 * ll + 4, rtol=1e-12)
    assert_allclose(float(g["bic"]), -2 * ll + 2 * np.log(944), rtol=1e-12)
    # Poisson on the counts of TV-news days
    x = reference_data["TVnews"]
    ll = stats.poisson.logpmf(x, x.mean()).sum()
    p = by[("TVnews", "Poisson", "rate")]
    assert_allclose(float(p["loglik"]), ll, rtol=1e-12)
    assert_allclose(float(p["aic"]), -2 * ll + 2, rtol=1e-12)
    assert_allclose(float(p["estimate"]), x.mean(), rtol=1e-12)
    se = np.sqrt(x.mean() / x.size)  # Wald on the log scale, mapped back
    assert_allclose(float(p["ci_lower"]),
                    x.mean() * np.exp(-stats.norm.ppf(0.975) * se / x.mean()), rtol=1e-10)


def test_fit_user_csv_with_options(tmp_path, capsys):
    rng = np.random.default_rng(3)
    path = tmp_path / "data.csv"
    n = 60
    size = rng.gamma(3.0, 2.0, size=n)
    visits = rng.poisson(2.0, size=n)
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["size", "visits", "city"])
        for i in range(n):
            w.writerow([repr(float(size[i])) if i != 5 else "NA", visits[i], f"c{i % 3}"])
    code, out, err = _run(capsys, "fit", str(path))
    assert code == 0 and err == ""
    assert "Note: skipped non-numeric column(s): city" in out
    assert "Column 'size': n=59, 1 missing dropped, values > 0; ranked by AIC" in out
    assert "Column 'visits': n=60" in out
    code, out, _ = _run(capsys, "fit", str(path), "-c", "size", "--families", "gaussian",
                        "--criterion", "bic", "--alpha", "0.1", "--format", "csv")
    assert code == 0
    row, var_row = _csv_rows(out)
    assert (row["parameter"], var_row["parameter"]) == ("mean", "covariance")
    x = np.delete(size, 5)
    ll = stats.norm.logpdf(x, x.mean(), x.std()).sum()
    assert_allclose(float(row["bic"]), -2 * ll + 2 * np.log(x.size), rtol=1e-12)
    assert row["rank"] == "1" and float(row["weight"]) == 1.0
    se_mean = x.std() / np.sqrt(x.size)
    lo = float(row["ci_lower"])
    assert_allclose(lo, x.mean() - stats.norm.ppf(0.95) * se_mean, rtol=1e-10)


def test_semicolon_csv_and_profile_intervals(tmp_path, capsys):
    path = tmp_path / "semi.csv"
    path.write_text("k;z\n2;-1.5\n3;0.5\n1;2.5\n4;0.1\n0;-0.3\n")
    code, out, err = _run(capsys, "fit", str(path), "--ci", "profile", "-c", "k")
    assert code == 0 and err == ""
    assert "[95% profile CI]" in out and "rate=2 [" in out


@pytest.mark.parametrize(
    "setup, argv, message",
    [
        (None, ["fit", "{tmp}/missing.csv"], "file not found: {tmp}/missing.csv"),
        ("", ["fit", "{tmp}/f.csv"], "is empty: a CSV file needs a header row"),
        ("a,b\n", ["fit", "{tmp}/f.csv"], "has a header but no data rows"),
        ("a,b\n1,2\n3\n", ["fit", "{tmp}/f.csv"], "data row 2 has 1 fields, the header has 2"),
        ("a,a\n1,2\n", ["fit", "{tmp}/f.csv"], "duplicate column name(s) in the header: a"),
        ("a,b\n1,x\n2,y\n", ["fit", "{tmp}/f.csv", "--column", "c"],
         "unknown column 'c' in {tmp}/f.csv; columns are: a, b"),
        ("a,b\n1,x\n2,y\n", ["fit", "{tmp}/f.csv", "--column", "b"],
         "column 'b' in {tmp}/f.csv is not numeric (first value 'x')"),
        ("a,b\nx,y\nz,w\n", ["fit", "{tmp}/f.csv"], "has no numeric column to fit"),
        ("a\n1\nNA\n", ["fit", "{tmp}/f.csv"], "column 'a' has 1 non-missing value(s)"),
        ("a\n1\n2\n", ["fit", "{tmp}/f.csv", "--families", "Gumbel"],
         "unknown family 'Gumbel'; known families: Gaussian"),
        ("a\n1\n2\n", ["fit", "{tmp}/f.csv", "--alpha", "1.5"], "--alpha must be in (0, 1)"),
        ("a\n1\n2\n", ["fit", "{tmp}/f.csv", "--criterion", "hqic"], "invalid choice: 'hqic'"),
        (None, ["fit", "{tmp}"], "is a directory, not a CSV file"),
        (None, [], "a command is needed: fit or families"),
        (None, ["rank"], "invalid choice: 'rank'"),
    ],
)
def test_bad_input_one_line_exit_2(tmp_path, capsys, setup, argv, message):
    if setup is not None:
        (tmp_path / "f.csv").write_text(setup)
    tmp = str(tmp_path)
    code, out, err = _run(capsys, *[a.format(tmp=tmp) for a in argv])
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("sklearn-mle: error: ")
    assert message.format(tmp=tmp) in lines[0]


def test_binary_file_is_a_clear_error(tmp_path, capsys):
    path = tmp_path / "f.csv"
    path.write_bytes(b"\xff\xfe\x00\x81\x82 binary")
    code, _, err = _run(capsys, "fit", str(path))
    assert code == 2 and "is not a UTF-8 text (CSV) file" in err


def test_help_and_families_listing(capsys):
    code, out, _ = _run(capsys, "fit", "--help")
    assert code == 0 and "--criterion" in out
    code, out, _ = _run(capsys, "families")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["family", "kind", "domain", "default", "available"]
    assert any(line.startswith("Poisson ") and line.endswith("yes") for line in lines)


def test_subprocess_bad_file_has_no_traceback(tmp_path):
    code = "import sys; from sklearn_mle.cli import main; sys.exit(main())"
    proc = subprocess.run(
        [sys.executable, "-c", code, "fit", str(tmp_path / "nope.csv")],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip() == f"sklearn-mle: error: file not found: {tmp_path}/nope.csv"


def test_constant_column_and_mixed_kinds_are_explained(tmp_path, capsys):
    path = tmp_path / "c.csv"
    path.write_text("c,k\n2.5,1\n2.5,4\n2.5,2\n2.5,0\n")
    code, out, err = _run(capsys, "fit", str(path))
    assert code == 0 and err == ""
    block = out.split("Column 'c'")[1].split("Column ")[0]
    # the exponential (rate = 1/mean) is the one continuous family with an MLE there
    assert "no MLE exists" in block and "1     Exponential" in block
    code, out, _ = _run(capsys, "fit", str(path), "-c", "k", "-f", "Poisson", "Gaussian")
    assert code == 0
    assert "Poisson (discrete)" in out and "Gaussian (continuous)" in out
    assert "not comparable" in out


def test_engel_dataset_ranks_continuous_families_like_scipy(capsys):
    code, out, err = _run(capsys, "fit", "--dataset", "engel", "--format", "csv")
    assert code == 0 and err == ""
    rows = _csv_rows(out)
    arr = np.genfromtxt(default_data_path("engel"), delimiter=",", names=True, skip_header=4)
    for col in ("income", "foodexp"):
        x = np.asarray(arr[col], dtype=float)
        ranked = {r["family"]: r for r in rows if r["column"] == col and r["rank"]}
        assert all(r["boundary"] == "False" for r in ranked.values())
        assert {"Gamma", "LogNormal", "Weibull", "Exponential", "Gaussian"} <= set(ranked)
        # independent maximum-likelihood fits with scipy (location fixed at 0)
        s, _, scale = stats.lognorm.fit(x, floc=0)
        assert_allclose(float(ranked["LogNormal"]["loglik"]),
                        stats.lognorm.logpdf(x, s, scale=scale).sum(), rtol=1e-10)
        a, _, scale = stats.gamma.fit(x, floc=0)
        assert float(ranked["Gamma"]["loglik"]) >= stats.gamma.logpdf(
            x, a, scale=scale).sum() - 1e-8
        c, _, scale = stats.weibull_min.fit(x, floc=0)
        assert float(ranked["Weibull"]["loglik"]) >= stats.weibull_min.logpdf(
            x, c, scale=scale).sum() - 1e-6
        assert_allclose(sum(float(r["weight"]) for r in ranked.values()), 1.0, rtol=1e-12)
    code, out, err = _run(capsys, "fit", "somefile.csv", "--dataset", "engel")
    assert code == 2 and "either FILE or --dataset" in err


def test_shifted_families_are_opt_in_on_the_command_line(capsys):
    code, out, err = _run(capsys, "fit", "--dataset", "engel", "-c", "income", "--format",
                          "csv")
    assert code == 0 and "Shifted" not in out
    code, out, err = _run(capsys, "fit", "--dataset", "engel", "-c", "income", "--shifted",
                          "--format", "csv")
    assert code == 0
    rows = [r for r in _csv_rows(out) if r["family"] == "ShiftedGamma"]
    assert [r["parameter"] for r in rows] == ["loc", "shape", "rate"]
    arr = np.genfromtxt(default_data_path("engel"), delimiter=",", names=True, skip_header=4)
    x = np.asarray(arr["income"], dtype=float)
    a, loc, scale = stats.gamma.fit(x)  # scipy, location free: AIC 3464.1
    ref = -2 * stats.gamma.logpdf(x, a, loc, scale).sum() + 6
    assert round(float(rows[0]["aic"]), 1) == round(ref, 1) == 3464.1
    assert rows[0]["rank"] == "1" and int(rows[0]["n_params"]) == 3
    assert float(rows[0]["ci_upper"]) < x.min()  # the threshold's interval stays below
    code, out, _ = _run(capsys, "families")
    assert "ShiftedGamma" in out


def test_output_cut_short_by_the_reader_is_not_an_error(tmp_path):
    # `sklearn-mle fit | head -3`: the pipe closes early; no traceback, exit status 0
    import subprocess
    import sys

    cmd = (f"{sys.executable} -c 'from sklearn_mle.cli import main; "
           "raise SystemExit(main([\"fit\"]))' | head -3")
    proc = subprocess.run(["bash", "-c", f"set -o pipefail; {cmd}"], capture_output=True,
                          text=True, timeout=120)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 3


def test_json_format_is_tidy_and_agrees_with_csv(capsys):
    import json

    code, out, _ = _run(capsys, "fit", "-c", "TVnews", "--format", "json")
    assert code == 0
    records = json.loads(out)
    code, out, _ = _run(capsys, "fit", "-c", "TVnews", "--format", "csv")
    rows = _csv_rows(out)
    assert len(records) == len(rows) == 3  # Poisson (rate), NegativeBinomial (r, p)
    for rec, row in zip(records, rows):
        assert rec["family"] == row["family"] and rec["parameter"] == row["parameter"]
        assert_allclose(rec["estimate"], float(row["estimate"]), rtol=1e-12)


def test_boundary_fits_are_shown_without_weight_or_interval(capsys):
    code, out, _ = _run(capsys, "fit", "-c", "vote")
    block = out.split("Column 'vote'")[1]
    line = next(ln for ln in block.splitlines() if "NegativeBinomial" in ln)
    assert line.split()[0] == "-" and "boundary:" in line and "[no interval]" in line
    assert "note NegativeBinomial: left out of the ranking" in block
    assert all(len(ln) <= 100 for ln in out.splitlines()), max(map(len, out.splitlines()))


@pytest.mark.parametrize("argv", [["fit", "--dataset", "engel"], ["fit"],
                                  ["fit", "--dataset", "engel", "--shifted"],
                                  ["fit", "-c", "popul", "--ci", "profile", "--gof",
                                   "--n-boot", "9", "--seed", "1"]])
def test_tables_fit_a_100_column_terminal(capsys, argv):
    code, out, _ = _run(capsys, *argv)
    assert code == 0
    assert all(len(ln) <= 100 for ln in out.splitlines()), max(map(len, out.splitlines()))


def test_gof_columns_and_seeded_bootstrap(capsys):
    argv = ["fit", "--dataset", "engel", "-c", "income", "-f", "Gamma", "LogNormal",
            "--gof", "--n-boot", "19", "--seed", "0"]
    code, out, _ = _run(capsys, *argv)
    assert code == 0 and "p(KS|X2)" in out and "parametric bootstrap with 19" in out
    code, csv_out, _ = _run(capsys, *argv, "--format", "csv")
    rows = _csv_rows(csv_out)
    assert {"ks", "ks_pvalue", "ad", "ad_pvalue", "cvm_pvalue"} <= set(rows[0])
    for r in rows:
        p = float(r["ad_pvalue"])
        assert 1 / 20 <= p <= 1 and (p * 20) == pytest.approx(round(p * 20))
    assert _run(capsys, *argv, "--format", "csv")[1] == csv_out  # the seed fixes it
    # threads give the same replicates (one seed per replicate, drawn up front)
    assert _run(capsys, *argv, "--n-jobs", "2", "--format", "csv")[1] == csv_out


def test_plot_writes_a_png(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    target = tmp_path / "fit.png"
    code, _, err = _run(capsys, "fit", "--dataset", "engel", "-c", "foodexp", "--plot",
                        str(target))
    assert code == 0 and target.stat().st_size > 1000 and "Plot:" in err


def test_progress_line_on_a_terminal(monkeypatch, capsys):
    import sklearn_mle.cli as cli

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    clock = iter(np.arange(0.0, 100.0, 0.7))
    monkeypatch.setattr(cli.time, "perf_counter", lambda: float(next(clock)))
    code, _, err = _run(capsys, "fit", "-c", "vote", "TVnews", "age")
    assert code == 0 and "fitting column" in err


def test_progress_line_while_one_long_column_is_fitted(monkeypatch, capsys):
    import time

    import sklearn_mle.model_selection as model_selection

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    real = model_selection.rank_distributions

    def slow(*args, **kwargs):  # one column whose fits take 1.6 s
        time.sleep(1.6)
        return real(*args, **kwargs)

    # the command imports rank_distributions when it runs, from model_selection
    monkeypatch.setattr(model_selection, "rank_distributions", slow)
    code, out, err = _run(capsys, "fit", "-c", "vote")
    assert code == 0 and "fitting column 1/1 'vote' (1." in err
    assert err.endswith("\r") and "fitting" not in out  # cleared; stdout untouched
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    code, out, err = _run(capsys, "fit", "-c", "vote")
    assert code == 0 and err == ""  # not a terminal (a pipe, a log): no progress line


def test_pandas_reader_matches_numpy_on_quoted_and_crlf_files(tmp_path):
    from sklearn_mle.cli import read_columns

    path = tmp_path / "q.csv"
    path.write_bytes(b'# comment\r\n"a","b"\r\n1,"x, y"\r\n2.5,z\r\n,w\r\n')
    cols, n = read_columns(path)
    assert n == 3 and list(cols) == ["a", "b"]
    assert_allclose(cols["a"], [1.0, 2.5, np.nan])
    assert list(cols["b"]) == ["x, y", "z", "w"]
    bad = tmp_path / "bad.csv"
    bad.write_text("a,b\n1,2\n3,4,5\n")
    with pytest.raises(ValueError, match="data row 2 has 3 fields"):
        read_columns(bad)


def test_imports_are_deferred_until_a_command_needs_them():
    """``import sklearn_mle`` loads no subpackage (PEP 562 names) and the command line
    loads scikit-learn only to fit, so ``--help`` answers without ~1.5 s of imports; the
    public names stay the same objects."""
    code = (
        "import sys, sklearn_mle, sklearn_mle.cli\n"
        "loaded = sorted(m for m in sys.modules if m.startswith(('sklearn_mle.', 'sklearn.')))\n"
        "assert loaded == ['sklearn_mle.cli', 'sklearn_mle.datasets', "
        "'sklearn_mle.datasets._base'], loaded\n"
        "from sklearn_mle.distributions import GammaMLE\n"
        "from sklearn_mle.model_selection import _ranking\n"
        "assert sklearn_mle.GammaMLE is GammaMLE\n"
        "assert sklearn_mle.rank_distributions is _ranking.rank_distributions\n"
        "assert 'GammaMLE' in dir(sklearn_mle) and 'distributions' in dir(sklearn_mle)\n"
        "assert all(hasattr(sklearn_mle, n) for n in sklearn_mle.__all__)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
