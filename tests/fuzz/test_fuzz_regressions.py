"""Failures the fuzz suite found, replayed from their minimal examples (``Spec``), each
checked against an independent reference (closed form, scipy, a limit)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import special, stats

import sklearn_mle as m
from sklearn_mle.exceptions import BoundaryWarning, NumericalRangeWarning
from sklearn_mle.families._saddle import bd0

from ._inputs import Spec, make_case


def _quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundaryWarning)
        warnings.simplefilter("ignore", m.InferenceWarning)
        return fn(*args, **kw)


def test_gamma_capped_shape_loglik_equals_row_sum_and_stirling():
    # Spec(positive_int, n=2, constant_column): loglik_ 32.875 vs sum(score_samples)
    # 32.036 (terms ~1e15 cancelling); at the cap the density at x (rate = shape / x)
    # is, by Stirling, -log x + 0.5 log(shape) - 0.5 log(2 pi) - 1/(12 shape)
    X, _, _ = make_case(Spec("positive_int", None, 2, 1, 0.0, "constant_column", "none",
                             1.0, 0))
    with pytest.warns(BoundaryWarning, match="shape is capped"):
        est = m.GammaMLE().fit(X)
    k, x = est.shape_[0], X[0, 0]
    ref = -np.log(x) + 0.5 * np.log(k) - 0.5 * np.log(2 * np.pi) - 1.0 / (12.0 * k)
    assert_allclose(est.score_samples(X), ref, rtol=1e-12)
    assert_allclose(est.loglik_, X.shape[0] * ref, rtol=1e-12)
    assert k <= 1e13  # the cap holds (Newton on the raw sums ran to 1e141)


def test_gamma_flat_columns_under_tiny_weights_keep_the_cap():
    # Spec(positive_int, n=2, d=2, mag=60, some_zero, weights * 1e-200): one row of
    # positive weight makes both columns flat; the shape ran to 5.6e141 and the
    # information underflowed to 0 (a bare "array must not contain infs or NaNs")
    X, _, w = make_case(Spec("positive_int", None, 2, 2, 60.0, "plain", "some_zero",
                             1e-200, 6820))
    est = _quiet(m.GammaMLE().fit, X, sample_weight=w)
    assert np.all(est.shape_ <= 1e13)
    assert np.all(np.isfinite(est.bse_)) and np.all(est.bse_ > 0)


def test_negative_binomial_capped_r_row_scores_are_the_poisson_limit():
    # Spec(counts, n=2): r capped at 1e10 (Poisson-like data); gammaln(x + r) -
    # gammaln(r) kept 5 digits. At r = 1e10 the NB pmf is the Poisson(mean) pmf to 1e-10
    X = np.array([[1.0], [0.0]])
    est = _quiet(m.NegativeBinomialMLE().fit, X)
    mean = est.r_[0] * (1 - est.p_[0]) / est.p_[0]
    assert_allclose(est.score_samples(X), stats.poisson.logpmf(X[:, 0], mean), atol=1e-9)
    assert_allclose(est.score_samples(X).sum(), est.loglik_, rtol=1e-13)


def test_weibull_capped_shape_loglik_equals_row_sum():
    # Spec(positive_int, n=2, mag=20, constant_column): 44.365009 vs 44.364990
    X = np.full((2, 1), 855.0)
    est = _quiet(m.WeibullMLE().fit, X)
    assert_allclose(est.score_samples(X).sum(), est.loglik_, rtol=1e-13)
    rng = np.random.default_rng(0)
    Y = rng.weibull(2.0, (40, 2)) * 3.0
    est = m.WeibullMLE().fit(Y)
    ref = stats.weibull_min.logpdf(Y, est.shape_, scale=est.scale_).sum(axis=1)
    assert_allclose(est.score_samples(Y), ref, rtol=1e-12)


def test_probability_covariance_under_tiny_weights():
    # Spec(counts, n=2, d=2, ones * 1e-200): cov_params_ = -inf (u u overflowed); the
    # covariance of frequency weights scales as 1 / weight
    X = np.array([[0.0, 0.0], [7.0, 1.0]])
    for cls in (m.MultinomialMLE, m.CategoricalMLE):
        tiny = _quiet(cls().fit, X, sample_weight=np.full(2, 1e-200))
        unit = _quiet(cls().fit, X)
        assert_allclose(tiny.cov_params_ * 1e-200, unit.cov_params_, rtol=1e-12)


def test_student_t_one_row_fits_as_a_constant_column_whatever_its_weight():
    # Spec(real, n=2, some_zero) and Spec(real, single_row, integer): one row was
    # refused while two equal rows, or two rows of which one has weight 0, fitted with
    # a warning; now each is a constant column, as in every other family
    fits = []
    for X, w in (([[1.0]], None), ([[1.0]], [3.0]), ([[1.0], [2.0]], [1.0, 0.0]),
                 ([[1.0]] * 2, None)):
        with pytest.warns(BoundaryWarning, match="constant"):
            fits.append(m.StudentTMLE().fit(X, sample_weight=w))
    for est in fits:
        assert est.loc_[0] == 1.0 and est.scale_[0] < 1e-100


def test_poisson_information_at_huge_rates_has_no_overflow():
    # known defect 07a: r**2 overflowed (NumPy's RuntimeWarning, SEs undefined); the
    # Poisson SE is sqrt(rate / n)
    X = np.array([[1e300], [2e300]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        est = m.PoissonMLE().fit(X)
        draws = est.sample(2, random_state=0)
    assert_allclose(est.bse_, np.sqrt(1.5e300 / 2), rtol=1e-12)
    assert np.all(np.isfinite(draws))


def test_draws_beyond_float64_warn_with_a_package_warning():
    # known defect 25: NumPy's RuntimeWarning was the only sign of inf draws
    est = _quiet(m.LogNormalMLE().fit, [[1e-150], [1e150], [2e-150], [3e150]])
    with pytest.warns(NumericalRangeWarning, match="exceed the float64 range"):
        draws = est.sample(50, random_state=0)
    assert np.isinf(draws).any()


def test_categorical_single_minus_inf_is_a_clean_error():
    # Spec(counts, single_row) with -inf: OverflowError from int(-inf) in the histogram
    with pytest.raises(ValueError, match="categories must be finite"):
        m.CategoricalMLE().fit([[-np.inf]])
    est = m.CategoricalMLE().fit([[-1.0], [-2.0], [-1.0]])  # negative labels are labels
    assert_allclose(np.sort(est.probabilities_[0]), [1 / 3, 2 / 3])


def test_multinomial_counts_beyond_1e300_are_a_clean_error():
    # Spec(counts) with 1.7e308: gammaln(total + 1) - log x! = inf - inf, loglik_ = nan
    with pytest.raises(ValueError, match="at most 1e300"):
        m.MultinomialMLE().fit([[1.7e308, 1.0], [3.0, 2.0]])


def test_student_t_repeated_value_says_the_mle_does_not_exist():
    # Spec(real, n=2, duplicated): two of three rows equal: the likelihood is unbounded
    # (df, scale -> 0 at the repeated value); the fit ended at scale 4e-153 with only
    # an InferenceWarning, and at another point under weights * 1e-8
    X = np.array([[-13.27188773], [-26.52554324], [-13.27188773]])
    with pytest.warns(BoundaryWarning, match="grows without bound"):
        est = _quiet_inference(m.StudentTMLE().fit, X)
    assert est.scale_[0] < 1e-8
    est = m.StudentTMLE().fit(np.random.default_rng(0).standard_t(3, (200, 1)))
    assert 1.5 < est.df_[0] < 6  # no warning on continuous data


def _quiet_inference(fn, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", m.InferenceWarning)
        warnings.simplefilter("ignore", UserWarning)
        warnings.simplefilter("default", BoundaryWarning)
        from sklearn.exceptions import ConvergenceWarning
        warnings.simplefilter("ignore", ConvergenceWarning)
        return fn(*args)


def test_naive_bayes_class_whose_rows_all_weigh_zero_keeps_a_zero_prior():
    # Spec(real, binary, n=3, some_zero, seed=130): class 1's only row weighs 0. The
    # weighted fit keeps class 1 (classes_ come from y, whose values are all checked)
    # with P(class 1) = 0; the other class's density is the fit on its rows alone
    # (repeated by their integer weights: a closed form for the beta's sufficient
    # statistics is not needed, the density estimator on those rows is the reference)
    X, y, w = make_case(Spec("real", "binary", 3, 1, 0.0, "plain", "some_zero", 1.0, 130))
    assert set(y[w > 0]) == {0} and set(y) == {0, 1}
    nb = _quiet(m.NaiveBayes().fit, X, y, sample_weight=w)
    assert list(nb.classes_) == [0, 1]
    assert_allclose(nb.class_prior_, [1.0, 0.0])
    reps = w.astype(int)
    alone = _quiet(m.NaiveBayes().fit, np.repeat(X, reps, axis=0), np.repeat(y, reps))
    assert list(alone.classes_) == [0]
    k = len(alone.estimates_)
    assert_allclose(nb.estimates_[:k], alone.estimates_, rtol=1e-10)
    assert nb.param_names_[:k] == alone.param_names_


@pytest.mark.parametrize("cls", [m.NaiveBayes, m.GenerativeClassifier])
def test_class_densities_under_weights_near_1e_200(cls):
    # Spec(real, binary, n=3, ones * 1e-200, seed=2): the Gaussian family's (n, k)
    # statistics lost s1**2 to underflow, so a one-row class got variance 3.1 and no
    # warning (loglik_ off the rows' sum by 1e-200). Now the one-row class warns as at
    # unit weights, and with two rows per class the densities are the closed form
    X, y, w = make_case(Spec("real", "binary", 3, 1, 0.0, "plain", "ones", 1e-200, 2))
    with pytest.warns(BoundaryWarning, match="single training row"):
        cls().fit(X, y, sample_weight=w)
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(8, 1)), np.array([0, 1] * 4)
    w = rng.uniform(0.5, 2.0, 8)
    tiny = _quiet(cls().fit, X, y, sample_weight=w * 1e-200)
    unit = _quiet(cls().fit, X, y, sample_weight=w)
    assert_allclose(tiny.estimates_, unit.estimates_, rtol=1e-12)
    got = dict(zip(tiny.param_names_, tiny.estimates_))
    for k in (0, 1):
        xs, ws = X[y == k, 0], w[y == k]
        mean = ws @ xs / ws.sum()
        (mkey,) = [n for n in got if n.startswith(f"{k}:") and n.endswith("mean")]
        (vkey,) = [n for n in got if n.startswith(f"{k}:") and n.endswith("covariance")]
        assert_allclose(got[mkey], mean, rtol=1e-12)
        assert_allclose(got[vkey], ws @ (xs - mean) ** 2 / ws.sum(), rtol=1e-12)


def test_categorical_draws_of_string_labels_are_the_labels():
    # Spec(counts, n=2, single_row) with object_strings: sample() returns the training
    # labels (strings), which the property's NaN check (np.isfinite) could not take
    X = np.array([["a"], ["b"], ["a"]], dtype=object)
    est = m.CategoricalMLE().fit(X)
    draws = est.sample(50, random_state=0)
    draws = draws[0] if isinstance(draws, tuple) else draws
    assert set(np.asarray(draws).ravel()) <= {"a", "b"}
    assert_allclose(np.exp(est.score_samples(np.array([["a"], ["b"]], dtype=object))),
                    [2 / 3, 1 / 3], rtol=1e-12)


def test_shifted_two_rows_weighted_equal_three_repeated_rows():
    # found by the fuzz once ShiftedMLE was exported: a row-count minimum (3) refused
    # [a, b] weighted [1, 2] but fitted the repeated rows [a, b, b]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        weighted = m.ShiftedMLE().fit(np.array([[1.0], [2.5]]), sample_weight=[1, 2])
        repeated = m.ShiftedMLE().fit(np.array([[1.0], [2.5], [2.5]]))
    assert_allclose(weighted.loc_, repeated.loc_, rtol=1e-10)
    assert_allclose(weighted.loglik_, repeated.loglik_, rtol=1e-10)
    with pytest.raises(ValueError, match="all values are equal"):
        m.ShiftedMLE().fit(np.array([[2.0], [2.0]]), sample_weight=[1, 3])


# ------------------------------------------------ the KNOWN table's entries (emptied)
def test_linear_regression_covariance_where_w_x_squared_is_near_1e_308():
    # Spec(real, real, n=7, d=3, mag=-150, some_zero, weights * 1e-8, seed=999):
    # (A'WA)^{-1} overflowed (cov_params_ inf, a bare RuntimeWarning) where
    # sigma2 (A'WA)^{-1} is an ordinary number. Reference: the same data rescaled by
    # 1e150 (X, y) and 1e8 (weights), where the closed form is well inside float64:
    # slopes are unchanged, their SEs scale by 1 / sqrt(1e-8), the intercept's by 1e-150
    X, y, w = make_case(Spec("real", "real", 7, 3, -150.0, "plain", "some_zero", 1e-8, 999))
    Xs, ys, ws = X * 1e150, y * 1e150, w * 1e8
    A = np.column_stack([np.ones(len(ys)), Xs])
    coef = np.linalg.solve(A.T @ (A * ws[:, None]), A.T @ (ws * ys))
    sigma2 = ws @ (ys - A @ coef) ** 2 / ws.sum()
    bse = np.sqrt(np.diag(np.linalg.inv(A.T @ (A * ws[:, None]))) * sigma2)
    for cov_type in ("nonrobust", "HC0"):
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # no overflow, no warning at all
            est = m.MLELinearRegression(cov_type=cov_type).fit(X, y, sample_weight=w)
        ref = m.MLELinearRegression(cov_type=cov_type).fit(Xs, ys, sample_weight=ws)
        assert_allclose(est.coef_, coef[1:], rtol=1e-9)
        assert_allclose(est.intercept_ * 1e150, coef[0], rtol=1e-9)
        assert_allclose(est.sigma2_ * 1e300, sigma2, rtol=1e-9)
        factor = np.r_[1e-150, np.ones(3)] / np.sqrt(1e-8)
        assert_allclose(est.bse_, ref.bse_ * factor, rtol=1e-9)
        if cov_type == "nonrobust":
            assert_allclose(ref.bse_, bse, rtol=1e-9)
    # a tiny weight scale no longer rounds w * resid**2 into the subnormals
    tiny = _quiet(m.MLELinearRegression().fit, X, y, sample_weight=w * 1e-192)
    assert_allclose(tiny.sigma2_ * 1e300, sigma2, rtol=1e-9)


@pytest.mark.parametrize("cls, spec", [
    (m.NaiveBayes, Spec("real", "binary", 2, 2, 0.0, "plain", "some_zero", 1.0, 4294967294)),
    (m.GenerativeClassifier,
     Spec("real", "labels3", 5, 1, 0.0, "duplicated", "some_zero", 1.0, 5806)),
])
def test_generative_log_likelihood_skips_rows_of_weight_zero(cls, spec):
    # a row of weight 0 in a class of prior 0 has log-density -inf: terms @ w took
    # 0 * -inf = NaN. Reference: the rows of positive weight alone (and loglik_)
    X, y, w = make_case(spec)
    est = _quiet(cls().fit, X, y, sample_weight=w)
    kept = w > 0
    assert np.any(est.class_prior_ == 0.0)  # the case: a class of prior 0
    total = est.log_likelihood(X, y, sample_weight=w)
    assert_allclose(total, est.log_likelihood(X[kept], y[kept], sample_weight=w[kept]),
                    rtol=1e-13)
    assert_allclose(total, est.loglik_, rtol=1e-12)


def test_negative_binomial_regression_does_not_depend_on_the_weights_scale():
    # the gradient test used max(sum(w), 1): weights of 1e-8 stopped at iteration 0 (the
    # Poisson start). Reference: statsmodels' NB2 on the unweighted rows
    import statsmodels.api as sm

    rng = np.random.default_rng(3)
    X = rng.normal(size=(200, 2))
    mu = np.exp(0.5 + X @ [0.4, -0.3])
    y = rng.negative_binomial(2.0, 2.0 / (2.0 + mu)).astype(float)
    ref = sm.NegativeBinomial(y, sm.add_constant(X), loglike_method="nb2").fit(
        disp=0, method="newton", maxiter=100, tol=1e-12)
    for scale in (1e-8, 1.0, 1e8):
        est = m.MLENegativeBinomialRegression(tol=1e-10).fit(
            X, y, sample_weight=np.full(200, scale))
        assert est.converged_ and est.n_iter_ > 0
        assert_allclose(np.r_[est.intercept_, est.coef_, est.alpha_], ref.params, rtol=1e-6)


def test_gaussian_weighted_squares_near_the_float64_limit():
    # Spec(real, n=2, mag=150, ones * 1e8, seed=2): sum w (x - mean)**2 = 1.6e308 is
    # finite, but 0.5 * (m2 + m2.T) overflowed (a bare "array must not contain infs or
    # NaNs" from the Cholesky). Reference: the closed-form weighted moments
    X, _, w = make_case(Spec("real", None, 2, 1, 150.0, "plain", "ones", 1e8, 2))
    for ctype in ("full", "diag", "spherical"):
        est = _quiet(m.GaussianMLE(covariance_type=ctype).fit, X, sample_weight=w)
        unit = _quiet(m.GaussianMLE(covariance_type=ctype).fit, X)
        x = X[:, 0]
        assert_allclose(np.ravel(est.mean_), x.mean(), rtol=1e-14)
        assert_allclose(np.ravel(est.covariance_), ((x - x.mean()) / 2) @ (x - x.mean()),
                        rtol=1e-12)
        assert_allclose(est.loglik_, 1e8 * unit.loglik_, rtol=1e-12)
        assert_allclose(est.score_samples(X), stats.norm.logpdf(
            x, x.mean(), np.sqrt(np.ravel(est.covariance_)[0])), rtol=1e-12)


def test_binomial_counts_beyond_2_to_53_are_a_clean_error():
    # Spec(counts, ones * 1e-8) with 1.7e308: n_trials = 1.7e308, loglik_ NaN (gammaln
    # inf - inf) and sample() raised NumPy's "n < 0" (int64 trials)
    with pytest.raises(ValueError, match=r"at most 2\*\*53"):
        m.BinomialMLE().fit([[1.0], [1.7e308]], sample_weight=[1e-8, 1e-8])
    with pytest.raises(ValueError, match=r"integers in \[1, 2\*\*53\]"):
        m.BinomialMLE(n_trials=2**60).fit([[1.0], [2.0]])
    X = np.array([[1.0], [2.0**53]])  # the largest allowed
    est = _quiet(m.BinomialMLE().fit, X)
    assert_allclose(est.p_, (1.0 + 2.0**53) / 2.0**54, rtol=1e-15)
    assert np.all(np.isfinite(est.sample(3, random_state=0)))


@pytest.mark.parametrize("cls, value, other", [(m.BernoulliMLE, 1.0, (0, 2)),
                                               (m.GeometricMLE, 1.0, (1, 5)),
                                               (m.BinomialMLE, 3.0, (0, 4))])
def test_no_failures_under_random_weights_is_the_boundary(cls, value, other):
    # Spec(binary, n=40, d=2, constant_column, random weights, seed=5537088), cut 2:
    # failures = weight - successes left 1e-14 (two sums of the weights in another
    # order), so p = 1 - 1e-16 without a BoundaryWarning after fit, and p = 1 with
    # loglik_ = -inf after partial_fit. With no failures p = 1 and the column's
    # log-likelihood is log(1) = 0 (the binomial's log C(3, 3) = 0 too)
    rng = np.random.default_rng(5537088)
    X = np.column_stack([np.full(40, value), rng.integers(*other, 40).astype(float)])
    w = rng.uniform(0.1, 3.0, 40)
    kw = {"n_trials": 3} if cls is m.BinomialMLE else {}
    with pytest.warns(BoundaryWarning):
        full = cls(**kw).fit(X, sample_weight=w)
    part = cls(**kw)
    _quiet(part.partial_fit, X[:2], sample_weight=w[:2])
    _quiet(part.partial_fit, X[2:], sample_weight=w[2:])
    assert full.p_[0] == 1.0 and part.p_[0] == 1.0
    assert full.stats_.failures[0] == 0.0
    one = _quiet(cls(**kw).fit, X[:, 1:], sample_weight=w)
    assert_allclose(full.loglik_, one.loglik_, rtol=1e-12)
    assert_allclose(part.loglik_, full.loglik_, rtol=1e-12)


def test_gamma_density_at_a_subnormal_value():
    # Spec(positive_int, n=2) with 5e-324: x * rate underflowed to 0 and (shape - 1) *
    # log 0 = +inf for shape < 1, so score_samples was inf where loglik_ was finite.
    # Reference: the closed form with log x itself (scipy's logpdf also gives inf)
    X = np.array([[6.0], [5e-324]])
    est = m.GammaMLE().fit(X)
    k, r = est.shape_[0], est.rate_[0]
    x = X[:, 0]
    ref = k * np.log(r) - special.gammaln(k) + (k - 1) * np.log(x) - r * x
    assert_allclose(est.score_samples(X), ref, rtol=1e-13)
    assert_allclose(est.score_samples(X).sum(), est.loglik_, rtol=1e-12)


def test_poisson_counts_near_the_float64_limit():
    # Spec(counts, n=2) with 1.7e308: sum_x log(mean) overflowed (loglik_ = inf - inf =
    # NaN) and bd0(1, 8.5e307) took log1p(-1) (score inf). Reference: Loader's form by
    # hand, x log(x / r) + r - x with log x - log r
    X = np.array([[1.0], [1.7e308]])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        est = m.PoissonMLE().fit(X)
    r, x = est.rate_[0], X[:, 0]
    assert r == 8.5e307
    deviance_half = x * (np.log(x) - np.log(r)) - (x - r)
    ref = -deviance_half - 0.5 * (np.log(2 * np.pi) + np.log(x))  # stirlerr(x) < 0.1
    assert_allclose(est.score_samples(X), ref, rtol=1e-12)
    assert_allclose(est.loglik_, ref.sum(), rtol=1e-12)
    # counts whose sum overflows: the rate is not representable, a clear error
    with pytest.raises(ValueError, match="sum must stay within the float64 range"):
        m.PoissonMLE().fit([[1.7e308], [1.7e308]])
    # Spec(counts, n=3) with 1.7e308 (long run 5): x log(x / r) overflowed in bd0 where
    # the row's value is finite (r = x / 3: x (log 3 - 2/3) = 7.3e307), but the rows' sum,
    # -1.86e308, is beyond float64: loglik_ was -inf without a word
    assert_allclose(bd0(1.7e308, 1.7e308 / 3), 1.7e308 * (np.log(3.0) - 2.0 / 3.0),
                    rtol=1e-13)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(ValueError, match="log-likelihood must stay within the float64"):
            m.PoissonMLE().fit([[1.0], [0.0], [1.7e308]])
        # Spec(positive_int, n=2, some_zero) with 1.7e308 in the row of weight 0 (run
        # 8): 0 * -inf made loglik_ NaN; that row is no term (reference: the other row)
        est = m.PoissonMLE().fit([[6.0], [1.7e308]], sample_weight=[1.0, 0.0])
    assert_allclose(est.loglik_, stats.poisson.logpmf(6, 6.0), rtol=1e-13)


def test_gaussian_full_covariance_se_overflow_is_said_in_words():
    # found with the case above: at variances near 1e300 cov(s_ij, s_kl) ~ covariance**2
    # overflows; the fit said "singular ... not identified" (and NumPy's overflow). The
    # means' SEs stay the closed form sqrt(covariance / n)
    X = np.random.default_rng(0).normal(size=(20, 2)) * 1e153
    with pytest.warns(m.InferenceWarning, match="exceeds the float64 range") as rec:
        est = m.GaussianMLE().fit(X)
    assert not any("singular" in str(r.message) for r in rec)
    assert_allclose(est.bse_[:2], np.sqrt(np.diag(est.covariance_) / 20), rtol=1e-12)
    # the covariances' SEs themselves are float64 numbers (~1e305): the closed form
    # var(s_ij) = (s_ii s_jj + s_ij**2) / n on the data scaled to 1, scaled back
    s = m.GaussianMLE().fit(X * 1e-153).covariance_
    ref = np.sqrt([2 * s[0, 0] ** 2, s[0, 0] * s[1, 1] + s[1, 0] ** 2,
                   2 * s[1, 1] ** 2] / np.float64(20))
    assert_allclose(est.bse_[2:], ref * 1e306, rtol=1e-12)


def test_variance_beyond_float64_is_said_in_words():
    # Spec(counts, n=2, ones * 1e-8) with 1.7e308: the rate's variance r / sum(w) =
    # 4.25e315 overflowed with NumPy's RuntimeWarning only
    with pytest.warns(m.InferenceWarning, match="variance of rate exceeds the float64"):
        est = m.PoissonMLE().fit([[1.0], [1.7e308]], sample_weight=[1e-8, 1e-8])
    assert_allclose(est.rate_, 8.5e307, rtol=1e-15)  # the mean count
    # the SE itself, sqrt(r / sum(w)) = 6.5e157, is a float64 number
    assert_allclose(est.bse_[0], np.sqrt(8.5e307) / np.sqrt(2e-8), rtol=1e-14)


def test_negative_binomial_regression_all_zero_counts():
    # Spec(real, counts, n=2, mag=-150, seed=216): y = [0, 0] gave numpy's "array must
    # not contain infs or NaNs" (outer(sc, sc) overflowed in the singular-information
    # path); and the Poisson start's BoundaryWarning (the mean's MLE does not exist)
    # was swallowed. Reference: the Poisson regression says the same in its name
    X, y, _ = make_case(Spec("real", "counts", 2, 1, -150.0, "plain", "none", 1.0, 216))
    assert np.all(y == 0)
    with pytest.warns(BoundaryWarning, match="MLENegativeBinomialRegression: .* -infinity"):
        _quiet_inference(m.MLENegativeBinomialRegression().fit, X, y)
    X = np.random.default_rng(0).normal(size=(20, 1))
    with pytest.warns(BoundaryWarning, match="MLEPoissonRegression: .* -infinity"):
        pois = m.MLEPoissonRegression().fit(X, np.zeros(20))
    with pytest.warns(BoundaryWarning, match="MLENegativeBinomialRegression: .* -infinity"):
        nb = _quiet_inference(m.MLENegativeBinomialRegression().fit, X, np.zeros(20))
    assert_allclose(nb.coef_, pois.coef_, atol=1e-12)


def test_shifted_threshold_search_is_weight_scale_free():
    # fuzz long run: weights of 1e-8 flattened the threshold profile below its peak
    # tests' absolute floor (1e-9 * max(1, |ll|)), so the search reported a boundary
    # threshold (loc -149, BoundaryWarning) where unit weights find an interior one
    # (-43.13); the search now runs on weights of mean 1
    X, _, _ = make_case(Spec("real", None, 15, 1, 0.0, "plain", "none", 1.0, 0))
    ref = m.ShiftedMLE().fit(X)
    for scale in (1e-8, 1e-4, 1e8):
        with warnings.catch_warnings():
            warnings.simplefilter("error", BoundaryWarning)
            est = m.ShiftedMLE().fit(X, sample_weight=np.full(len(X), scale))
        assert not est.boundary_.any()
        assert_allclose(est.loc_, ref.loc_, rtol=1e-4)
        assert_allclose(est.loglik_ / scale, ref.loglik_, rtol=1e-9)


def test_weibull_zero_weight_row_is_not_data():
    # a constant column of 2.5 with one row of 9.0 at weight 0 gave scale_ 0 and loglik_
    # nan: the zero-weight row set the shift of the powers (x / scale)**k at the capped
    # shape, and its e = inf times weight 0 made NaN. A zero-weight row is not data.
    X = np.full((20, 1), 2.5)
    X[3] = 9.0
    w = np.ones(20)
    w[3] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no NumPy warning either
        with pytest.warns(BoundaryWarning, match="constant"):
            est = _quiet_inference(m.WeibullMLE().fit, X, sample_weight=w)
    k = est.shape_[0]
    assert_allclose(est.scale_, 2.5, rtol=1e-12)
    # at x == scale every row's log-density is log(k / x) - 1 (closed form)
    assert_allclose(est.loglik_, 19 * (np.log(k / 2.5) - 1.0), rtol=1e-12)
    # on a non-constant column the zero-weight row changes nothing (reference: dropped)
    rng = np.random.default_rng(0)
    y = rng.weibull(1.7, (50, 1)) * 3.0
    a = m.WeibullMLE().fit(y)
    b = m.WeibullMLE().fit(np.vstack([y, [[1e6]]]), sample_weight=np.r_[np.ones(50), 0.0])
    assert_allclose([b.shape_[0], b.scale_[0], b.loglik_],
                    [a.shape_[0], a.scale_[0], a.loglik_], rtol=1e-12)
    # reference: the profile equation of the shape solved by brentq, scale closed form
    from scipy.optimize import brentq
    v = y[:, 0]

    def profile(k):
        return 1.0 / k + np.log(v).mean() - (v**k * np.log(v)).sum() / (v**k).sum()

    k_ref = brentq(profile, 0.1, 10.0, xtol=1e-14)
    s_ref = np.mean(v**k_ref) ** (1.0 / k_ref)
    assert_allclose([a.shape_[0], a.scale_[0]], [k_ref, s_ref], rtol=1e-10)
    assert_allclose(a.loglik_, stats.weibull_min.logpdf(v, k_ref, scale=s_ref).sum(),
                    rtol=1e-12)


def test_lognormal_constant_column_loglik_is_the_row_sum():
    # sigma = 0 on a constant column: loglik_ was +inf (the supremum) but every row's
    # log-density -inf; the degenerate density is +inf at its point, -inf elsewhere
    X = np.full((20, 1), 2.5)
    with pytest.warns(BoundaryWarning, match="constant"):
        est = _quiet_inference(m.LogNormalMLE().fit, X)
    assert est.loglik_ == np.inf
    assert np.all(est.score_samples(X) == np.inf)
    assert est.score_samples(np.array([[3.0]]))[0] == -np.inf


def _quiet_inference(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", m.InferenceWarning)
        return fn(*args, **kw)


def test_generative_classifier_class_of_zero_weight_is_said():
    # Spec(real, binary, n=3, duplicated, some_zero weights): label 1's only row has
    # weight 0, so its MLE probability is 0 and class_log_prior_ -inf, without a word
    X, y, w = make_case(Spec("real", "binary", 3, 1, 0.0, "duplicated", "some_zero", 1.0,
                             7112024))
    assert set(y[w > 0]) == {0} and set(y) == {0, 1}
    with pytest.warns(BoundaryWarning, match="class 1 has total sample weight 0"):
        est = _quiet_inference(m.GenerativeClassifier().fit, X, y, sample_weight=w)
    assert_allclose(est.class_prior_, [1.0, 0.0])  # the weighted class frequencies
    assert est.class_log_prior_[1] == -np.inf
    assert np.all(est.predict(X) == 0)
    # the same data without the zero-weight row: the same fit of class 0
    ref = m.GaussianMLE(covariance_type="diag").fit(X[w > 0], sample_weight=w[w > 0])
    assert_allclose(est.densities_[0].mean_, ref.mean_, rtol=1e-14)
    # partial_fit with classes= announces labels for later batches: no warning there
    with warnings.catch_warnings():
        warnings.simplefilter("error", BoundaryWarning)
        m.GenerativeClassifier().partial_fit(X[y == 0], y[y == 0], classes=[0, 1])


def test_beta_constant_column_near_one_is_flat_at_any_weight_scale():
    # Spec(unit, n=17, constant_column, seed=31) at 0.99991358: unit weights gave a
    # Jensen gap of 2.6e-12 (log1p(-m) amplifies the mean's rounding by m / (1 - m) =
    # 1.2e4), above the noise floor, so a = 5e24 without a warning; weights x1e-8 warned
    X, _, _ = make_case(Spec("unit", None, 17, 1, 0.0, "constant_column", "none", 1.0, 31))
    fits = []
    for w in (None, np.ones(17), np.full(17, 1e-8)):
        with pytest.warns(BoundaryWarning, match="constant"):
            fits.append(_quiet_inference(m.BetaMLE().fit, X, sample_weight=w))
    x = X[0, 0]
    for est in fits:  # the documented cap: a + b = 1e12 at the column's mean
        assert_allclose([est.a_[0], est.b_[0]], [x * 1e12, (1 - x) * 1e12], rtol=1e-6)
    # a spread the MLE resolves near 1 is not called constant (reference: scipy's fit)
    y = 1.0 - np.random.default_rng(0).beta(2.0, 5.0, 40) * 1e-3
    est = m.BetaMLE().fit(y[:, None])
    ll = stats.beta.logpdf(y, est.a_[0], est.b_[0]).sum()
    ref = stats.beta.fit(y, floc=0, fscale=1)
    assert ll >= stats.beta.logpdf(y, ref[0], ref[1]).sum() - 1e-8


def test_weibull_sample_overflow_is_said():
    # Spec(positive, n=2, d=2, random weights, seed=2) + a 1.7e308 value: shape 0.0029,
    # scale 1e145; s * E**(1/k) overflowed with NumPy's warning only. Drawn on the log
    # scale, with NumPy's weibull stream (the same E), and a warning where inf remains
    est = _quiet(m.WeibullMLE().fit, [[0.799, 4.74], [1.7e308, 1.726]],
                 sample_weight=[1.73, 0.535])
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.warns(NumericalRangeWarning, match="exceed the float64 range"):
            draws = est.sample(200)
    assert np.all(draws >= 0) and np.isposinf(draws).any()  # tiny draws underflow to 0
    small = m.WeibullMLE().fit(np.random.default_rng(0).weibull(1.5, (200, 1)) * 2.0)
    e = np.random.RandomState(7).standard_exponential((1000, 1))  # check_random_state(7)
    ref = small.scale_ * e ** (1.0 / small.shape_)  # the inverse-CDF draw, by hand
    assert_allclose(small.sample(1000, random_state=7), ref, rtol=1e-13)


def test_negative_binomial_regression_zero_weight_rows_are_not_data():
    # Spec(real, counts, n=24, d=2, some_zero weights, seed=38): the zero counts are
    # separated, the mean overflows on rows of weight 0, and 0 * inf made NumPy's
    # "array must not contain infs or NaNs" in the Newton's Cholesky
    X, y, w = make_case(Spec("real", "counts", 24, 2, 1.0, "plain", "some_zero", 1.0, 38))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.warns(BoundaryWarning, match="zero counts"):
            a = _quiet_inference(m.MLENegativeBinomialRegression().fit, X, y, sample_weight=w)
    b = _quiet_inference(m.MLENegativeBinomialRegression().fit, X[w > 0], y[w > 0],
                         sample_weight=w[w > 0])
    # no MLE (the coefficients run to infinity): the supremum of the log-likelihood is
    # what both reach, not the same coefficients
    assert_allclose(a.loglik_, b.loglik_, rtol=1e-9)
    # overdispersed data (an interior alpha) with a zero-weight row whose mean overflows
    rng = np.random.default_rng(3)
    x = rng.normal(size=(300, 1))
    mu = np.exp(0.5 + 0.8 * x[:, 0])
    yy = rng.negative_binomial(2.0, 2.0 / (2.0 + mu)).astype(float)
    xz, yz = np.vstack([x, [[1e3]]]), np.append(yy, 0.0)
    wz = np.append(np.ones(300), 0.0)
    for cov_type in ("nonrobust", "HC0"):
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            got = m.MLENegativeBinomialRegression(cov_type=cov_type).fit(xz, yz, sample_weight=wz)
        ref = m.MLENegativeBinomialRegression(cov_type=cov_type).fit(x, yy)
        assert_allclose(got.estimates_, ref.estimates_, rtol=1e-10)
        assert_allclose(got.bse_, ref.bse_, rtol=1e-8)
    sm = pytest.importorskip("statsmodels.api")
    res = sm.NegativeBinomial(yy, sm.add_constant(x), loglike_method="nb2").fit(
        disp=0, method="newton", maxiter=200, tol=1e-12)
    ref = m.MLENegativeBinomialRegression().fit(x, yy)
    assert_allclose(ref.estimates_, res.params, rtol=1e-6)
    assert_allclose(ref.bse_, res.bse, rtol=1e-5)
