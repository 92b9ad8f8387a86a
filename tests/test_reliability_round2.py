"""Regression tests for issue 9 (round 2): each minimal example found by the fuzz suite
(tests/fuzz) or the reliability audit, checked against an independent reference or
the right error type and message."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sklearn_mle.exceptions import InferenceWarning
from sklearn_mle.linear_model._linear import MLELinearRegression
from sklearn_mle.priors import Laplace

from ._highprec import poisson_logpmf as poisson_logpmf_ref


# ------------------------------------------------------------ MLELinearRegression
def _ols(X, y):
    A = np.column_stack([np.ones(len(y)), X])
    coef = np.linalg.lstsq(A, y, rcond=None)[0]
    r = y - A @ coef
    s2 = float(r @ r) / len(y)
    return coef, s2, np.sqrt(np.diag(s2 * np.linalg.inv(A.T @ A)))


def test_linear_laplace_on_data_near_1e_150_gives_the_least_squares_fit():
    # was: ZeroDivisionError in _fit_newton (sigma2**2 underflowed to 0)
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20, 2))
    y = (X @ [1.0, 2.0] + rng.normal(size=20)) * 1e-150
    ref_coef, ref_s2, _ = _ols(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = MLELinearRegression(prior=Laplace(1.0)).fit(X, y)
    # a Laplace(1) prior on coefficients of 1e-150 is flat: the mode is least squares
    assert_allclose(est.coef_, ref_coef[1:], rtol=1e-8)
    assert_allclose(est.sigma2_, ref_s2, rtol=1e-8)
    _, _, ref_bse = _ols(X, y)
    assert np.all(np.isfinite(est.bse_)) and np.all(est.bse_ > 0)
    assert_allclose(est.bse_, ref_bse, rtol=1e-6)


@pytest.mark.parametrize("prior", [None, Laplace(1.0)])
def test_linear_exact_fit_warns_and_weights_equal_repeated_rows(prior):
    # the fuzz's minimal case: n = p = 2 with a near-constant column, weights (1, 3);
    # the rounding residuals of the ill-conditioned solve passed for data
    X = np.array([[4.05709042], [4.05566132]])
    y = np.array([3.13865787, 2.57561816])
    w = np.array([1.0, 3.0])
    fits = []
    for args in ((X, y, w), (np.repeat(X, [1, 3], 0), np.repeat(y, [1, 3]), None)):
        with pytest.warns(InferenceWarning, match="MLE of the error variance is 0 and the "
                                                  "likelihood is unbounded.*fewer features"):
            fits.append(MLELinearRegression(prior=prior).fit(args[0], args[1],
                                                             sample_weight=args[2]))
    for est in fits:
        assert est.sigma2_ == 0.0 and est.loglik_ == np.inf
        # the exact interpolant (an independent solve)
        assert_allclose(est.intercept_ + X[:, 0] * est.coef_[0], y, rtol=1e-9)
    assert_allclose(fits[0].coef_, fits[1].coef_, rtol=1e-9)


def test_linear_laplace_exact_fit_with_tiny_weights_is_not_a_local_mode():
    # n = p under a Laplace prior with weights 1e-8: Newton stopped at a local mode
    # (sigma2 = 0.16) of an unbounded posterior, without a warning
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(3, 2)), rng.normal(size=3)
    with pytest.warns(InferenceWarning, match="3 distinct rows for 3 coefficients"):
        est = MLELinearRegression(prior=Laplace(1.0)).fit(X, y, sample_weight=np.full(3, 1e-8))
    assert est.sigma2_ == 0.0


@pytest.mark.parametrize("prior", [None, Laplace(1.0)])
def test_linear_magnitudes_beyond_float64_name_the_column(prior):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(10, 2)), rng.normal(size=10)
    Xbig = X.copy()
    Xbig[:, 1] *= 1e300
    # was: numpy's "array must not contain infs or NaNs" (Laplace) and "'x0' is constant
    # zero" (QR: the column norms overflowed)
    with pytest.raises(ValueError, match=r"column 'x1' has value .*float64 range"):
        MLELinearRegression(prior=prior).fit(Xbig, y)
    with pytest.raises(ValueError, match=r"y has value .*float64 range"):
        MLELinearRegression(prior=prior).fit(X, y * 1e200)
    with pytest.raises(ValueError, match=r"variance of y .* below the smallest normal"):
        MLELinearRegression(prior=prior).fit(X, y * 1e-170)
    # still fitted where the squares fit: 1e150 is within range (same t statistics)
    ref = MLELinearRegression(prior=None).fit(X, y)
    est = MLELinearRegression(prior=None).fit(X * 1e150, y)
    assert_allclose(est.coef_ * 1e150, ref.coef_, rtol=1e-9)
    assert_allclose(est.pvalues_, ref.pvalues_, rtol=1e-7)


# ------------------------------------------------------------ GLM Newton solver
def test_multinomial_logistic_on_x_near_1e80_warns_separation_not_linalgerror():
    # was: a bare LinAlgError from _newton_step (the ridged Cholesky failed too: the
    # Newton matrix's diagonal spans 1e160 between intercepts and slopes)
    from sklearn.exceptions import ConvergenceWarning

    from sklearn_mle.exceptions import SeparationWarning
    from sklearn_mle.linear_model._logistic import MLELogisticRegression

    X = np.array([[-1.10536711e80, 1.03015520e80],
                  [1.76812464e79, -8.04305645e79],
                  [-2.89981896e79, -9.19993603e79]])
    y = np.array([1, 0, 2])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        est = MLELogisticRegression().fit(X, y)
    kinds = {w.category for w in caught}
    # three rows, three classes: separated, so the MLE does not exist (sklearn's
    # unpenalised LogisticRegression also classifies them perfectly)
    assert SeparationWarning in kinds or ConvergenceWarning in kinds
    np.testing.assert_array_equal(est.predict(X), y)


def test_scaled_newton_step_solves_the_equilibrated_system():
    from sklearn_mle.linear_model._newton import _scaled_step

    rng = np.random.default_rng(1)
    B = rng.normal(size=(4, 4))
    C = B @ B.T + 4 * np.eye(4)
    d = np.array([1e80, 1.0, 1e-3, 1e40])
    H, g = C * np.outer(d, d), rng.normal(size=4) * d
    # the same system on H's unit-diagonal scale, by LU
    s = d * np.sqrt(np.diag(C))
    ref = -np.linalg.solve(H / np.outer(s, s) + 1e-8 * np.eye(4), g / s) / s
    assert_allclose(_scaled_step(H, g), ref, rtol=1e-10)
    H[0, 0] = np.inf  # non-finite: the diagonal step, finite
    assert np.all(np.isfinite(_scaled_step(H, g)))


# ------------------------------------------------------------ GridSearchIC
def test_grid_search_warns_for_each_candidate_it_cannot_rank():
    # the fuzz's minimal case: two rows, a two-component mixture collapses (degenerate);
    # results_ kept NaN delta/weight for it without any warning
    from sklearn.exceptions import FitFailedWarning

    from sklearn_mle.exceptions import ComponentCollapseWarning
    from sklearn_mle.mixture import GaussianMixture
    from sklearn_mle.model_selection import GridSearchIC

    X = np.array([[1.0], [0.0]])
    with pytest.warns(ComponentCollapseWarning, match=r"candidate \{'n_components': 2\} is "
                      "not ranked: its likelihood is degenerate.*status 'degenerate'"):
        s = GridSearchIC(GaussianMixture(random_state=0), {"n_components": [1, 2]}).fit(X)
    assert list(s.results_["status"]) == ["ok", "degenerate"]
    assert np.isnan(s.results_["weight"][1]) and s.results_["rank"][1] == 0
    # the ranked candidate: a Gaussian's MLE on (0, 1), BIC = -2 log L + 2 log 2
    ll = 2 * (-0.5 * np.log(2 * np.pi * 0.25) - 0.5)
    assert_allclose(s.results_["bic"][0], -2 * ll + 2 * np.log(2), rtol=1e-5)  # reg_covar
    # a failed candidate (error_score=nan) is warned about too
    with pytest.warns(FitFailedWarning, match="its fit failed"):
        GridSearchIC(GaussianMixture(random_state=0), {"n_components": [1, 3]},
                     error_score=np.nan).fit(X)


def test_every_warning_the_package_emits_is_in_its_exceptions_module():
    # GridSearchIC emits scikit-learn's FitFailedWarning: exported with the others, so
    # ``from sklearn_mle.exceptions import FitFailedWarning`` filters it
    import sklearn.exceptions

    from sklearn_mle import exceptions

    assert "FitFailedWarning" in exceptions.__all__
    assert exceptions.FitFailedWarning is sklearn.exceptions.FitFailedWarning
    assert exceptions.ConvergenceWarning is sklearn.exceptions.ConvergenceWarning
    for name in exceptions.__all__:
        assert issubclass(getattr(exceptions, name), Warning), name


def test_grid_search_with_integer_weights_equals_repeated_rows():
    # the fuzz's minimal case: aic/bic scored each row once, ignoring sample_weight
    from sklearn_mle.mixture import GaussianMixture
    from sklearn_mle.model_selection import GridSearchIC

    X = np.array([[0.3], [-1.2], [2.0], [0.9], [-0.4]])
    w = np.array([1.0, 3.0, 1.0, 2.0, 1.0])
    reps = np.repeat(X, w.astype(int), axis=0)
    grid = {"n_components": [1, 2]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = GridSearchIC(GaussianMixture(random_state=0), grid).fit(X, sample_weight=w)
        b = GridSearchIC(GaussianMixture(random_state=0), grid).fit(reps)
    # the one-component candidate in closed form: the weighted Gaussian MLE
    mu = np.average(X[:, 0], weights=w)
    var = np.average((X[:, 0] - mu) ** 2, weights=w) + 1e-6  # + reg_covar
    ll = float(np.sum(w * (-0.5 * np.log(2 * np.pi * var) - 0.5 * (X[:, 0] - mu) ** 2 / var)))
    assert_allclose(a.results_["bic"][0], -2 * ll + 2 * np.log(8), rtol=1e-9)
    assert list(a.results_["nobs"]) == [8, 8]
    for key in ("loglik", "aic", "bic"):
        assert_allclose(a.results_[key], b.results_[key], rtol=1e-6)
    assert a.best_params_ == b.best_params_


# ------------------------------------------------------------ GenerativeClassifier
def test_generative_classifier_labels_of_mixed_types_raise_its_own_type_error():
    # the fuzz's case: string labels with a None (y_nan corruption); NumPy's sort raised
    # "'<' not supported between instances of 'NoneType' and 'str'" from inside NumPy
    from sklearn_mle.naive_bayes import GenerativeClassifier

    X = np.array([[0.1], [1.3], [0.7], [2.0]])
    y = np.array(["no", None, "yes", "no"], dtype=object)
    with pytest.raises(TypeError, match=r"mix the types \['NoneType', 'str'\].*one type") as e:
        GenerativeClassifier().fit(X, y)
    assert "naive_bayes" in str(e.traceback[-1].path)  # raised by the package, not NumPy
    with pytest.raises(TypeError, match="mix the types"):
        GenerativeClassifier().partial_fit(X, y, classes=["no", "yes"])


# ------------------------------------------------------------ HMM boundary wording
def test_hmm_boundary_warning_words_each_parameter_kind():
    # was: "(a probability of 0 or 1; a start probability always does with a single
    # sequence)" for every boundary parameter, covariances included
    from sklearn_mle import GaussianMLE
    from sklearn_mle.hmm import HiddenMarkovModel

    rng = np.random.default_rng(0)
    X = np.concatenate([rng.normal(0, 1, 40), np.full(20, 5.0), rng.normal(0, 1, 40)])[:, None]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        m = HiddenMarkovModel(GaussianMLE(), n_components=2, random_state=0).fit(X)
        m.bse_  # noqa: B018 - inference is lazy
    text = " ".join(str(w.message) for w in caught if "boundary of the parameter" in
                    str(w.message))
    collapsed = int(np.argmin([e.covariance_[0, 0] if np.ndim(e.covariance_) == 2
                               else np.ravel(e.covariance_)[0] for e in m.emissions_]))
    assert np.ravel(m.emissions_[collapsed].covariance_)[0] < 1e-6  # the constant run
    assert f"state{collapsed}.covariance: variances (or scales) at their floor" in text
    assert "startprob[0]: start probabilities at 0 or 1" in text
    assert "covariance: a probability" not in text and "a probability of 0 or 1" not in text


# ------------------------------------------------------------ mixtures: identifiability
def test_two_components_on_one_population_say_they_are_not_identified():
    # known_defects 01b: only the generic "information matrix is singular" warning
    import sklearn_mle as m

    rng = np.random.default_rng(0)
    X = rng.poisson(3, (100, 1))
    # at the maximum (the default tol=1e-3 stops short of it, which is said instead:
    # tests/test_reliability_mixture.py)
    est = m.MixtureMLE(m.PoissonMLE(), 2, random_state=0, tol=1e-10, max_iter=10000).fit(X)
    with pytest.warns(InferenceWarning, match=r"the 2 components are not identified.*one "
                      r"population.*Choose n_components by BIC.*GridSearchIC"):
        ci = est.conf_int()
    assert ci[0, 0] == 0.0 and ci[0, 1] == 1.0  # the weight's interval: its whole space
    # BIC prefers one component on these data (the remedy the warning names)
    one = m.MixtureMLE(m.PoissonMLE(), 1, random_state=0).fit(X)
    assert one.bic(X) < est.bic(X)
    # two well-separated populations are identified: no such warning
    X2 = np.concatenate([rng.poisson(2, (200, 1)), rng.poisson(15, (200, 1))])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        two = m.MixtureMLE(m.PoissonMLE(), 2, random_state=0).fit(X2)
        two.conf_int()
    assert not any("not identified" in str(w.message) for w in caught)
    assert np.all(np.isfinite(two.bse_))


def test_gaussian_mixture_of_one_population_says_em_stopped_early():
    # known defect 01: two components fitted to one Gaussian population; at the default
    # tol EM stops short of the maximum (where the intervals are finite: weight 0.09),
    # which the warning says, not "not identified" (tests/test_reliability_mixture.py)
    import warnings as _w

    from sklearn_mle import GaussianMixture
    from sklearn_mle.exceptions import InferenceWarning

    X = np.random.default_rng(0).normal(size=(200, 1))
    gm = GaussianMixture(n_components=2, random_state=0).fit(X)
    with _w.catch_warnings(record=True) as caught:
        _w.simplefilter("always")
        gm.conf_int()
    words = [str(w.message) for w in caught if issubclass(w.category, InferenceWarning)]
    assert any("before the maximum" in m and "tol=" in m for m in words)
    assert not any("not identified by the data" in m for m in words)


# ------------------------------------------------------------ Poisson: large counts
def test_poisson_log_pmf_in_loaders_form_matches_high_precision():
    from scipy import stats as sps

    from sklearn_mle.families._saddle import poisson_logpmf

    rng = np.random.default_rng(3)
    r = 10.0 ** rng.uniform(-3, 16, 200)
    x = np.round(np.maximum(r + rng.normal(size=200) * np.sqrt(r) * rng.choice([0.1, 1, 5], 200),
                            0.0))
    x = np.r_[x, 0.0, 1.0, 14.0, 15.0, 2.0**52 + 3, 1e15, 3.0]
    r = np.r_[r, 3.0, 3.0, 10.0, 10.0, 2.0**52 + 6, 3.0, 1e15]
    ref = np.array([poisson_logpmf_ref(a, b) for a, b in zip(x, r)])
    assert_allclose(poisson_logpmf(x, r), ref, rtol=1e-14, atol=1e-14)
    small = (x < 1e6) & (r < 1e6)  # where scipy's direct form keeps ~9 digits
    assert_allclose(poisson_logpmf(x[small], r[small]), sps.poisson.logpmf(x[small], r[small]),
                    rtol=1e-9)


def test_poisson_counts_near_2_pow_52_keep_their_log_likelihood():
    # known defect 30: loglik_ was 0.0 and score_samples [-32, 0] (exact: -18.94 each)
    from sklearn_mle.distributions import PoissonMLE

    X = np.array([[2.0**52 + 3], [2.0**52 + 10]])
    est = PoissonMLE().fit(X)
    ref = [poisson_logpmf_ref(x, est.rate_[0]) for x in X[:, 0]]
    assert_allclose(est.score_samples(X), ref, rtol=1e-13)
    assert_allclose(est.loglik_, sum(ref), rtol=1e-13)
    # counts near 1e15 in two batches, weighted: partial_fit == fit == the reference
    rng = np.random.default_rng(0)
    X = np.round(1e15 + rng.normal(size=(40, 1)) * 3e7)
    w = rng.uniform(0.5, 2.0, 40)
    whole = PoissonMLE().fit(X, sample_weight=w)
    part = PoissonMLE().partial_fit(X[:13], sample_weight=w[:13]).partial_fit(
        X[13:], sample_weight=w[13:])
    ref = w @ np.array([poisson_logpmf_ref(x, whole.rate_[0]) for x in X[:, 0]])
    assert_allclose(whole.loglik_, ref, rtol=1e-12)
    assert_allclose(part.loglik_, ref, rtol=1e-12)
    assert_allclose(w @ whole.score_samples(X), ref, rtol=1e-12)


def test_poisson_statistics_recentre_exactly_and_keep_the_prior_kernel():
    import pickle

    from sklearn_mle.families import Poisson
    from sklearn_mle.priors import Gamma

    fam = Poisson()
    rng = np.random.default_rng(1)
    X = rng.poisson([3.0, 2e12], size=(50, 2)).astype(float)
    X[:, 0] = 0.0  # an all-zero column: rate 0 on the boundary
    whole = fam.stats(X)
    parts = fam.stats(X[:7]) + fam.stats(X[7:30]) + fam.stats(X[30:])
    for r in ([0.0, 2e12], [0.5, 2e12 + 10.0], [2.0, 1.9e12]):
        r = np.array(r)
        ref = [sum(poisson_logpmf_ref(x, r[j]) for x in X[:, j]) for j in range(2)]
        assert_allclose(fam.loglik(whole, {"rate": r}), ref, rtol=1e-12, atol=1e-12)
        assert_allclose(fam.loglik(parts, {"rate": r}), ref, rtol=1e-12, atol=1e-12)
    assert whole.zero_like() + whole == whole
    assert pickle.loads(pickle.dumps(whole)) == whole
    # a Gamma(a, b) prior adds (a - 1) log r - b r, also for a < 1 (negative pseudo-events)
    for a, b in [(0.5, 2.0), (3.0, 0.5)]:
        post = fam.stats(X[:, 1:]) + Gamma(a, b).pseudo_stats(fam, 1)
        r = np.array([2e12 + 5.0])
        ref = sum(poisson_logpmf_ref(x, r[0]) for x in X[:, 1]) + (a - 1) * np.log(r[0]) \
            - b * r[0]
        assert_allclose(fam.loglik(post, {"rate": r}), ref, rtol=1e-12)
    # k components' statistics at once equal the single ones (also their log-likelihoods)
    W = rng.random((50, 3))
    for j, s in enumerate(fam.stats(X, W)):
        one = fam.stats(X, W[:, j])
        r = np.array([1.0, 2e12])
        assert_allclose(fam.loglik(s, {"rate": r}), fam.loglik(one, {"rate": r}), rtol=1e-11)
    # k components' row densities at large counts: Loader's form per component
    rates = [{"rate": np.array([0.5, 2e12])}, {"rate": np.array([1.0, 3e12])}]
    rows = fam.logpdf_rows(X[:5], rates)
    ref = [[poisson_logpmf_ref(X[i, 0], a) + poisson_logpmf_ref(X[i, 1], b)
            for a, b in ((0.5, 2e12), (1.0, 3e12))] for i in range(5)]
    assert_allclose(rows, ref, rtol=1e-13)
