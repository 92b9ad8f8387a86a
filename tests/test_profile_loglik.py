"""The public profile_loglik of the inference surface against independent references."""

import numpy as np
import pytest
import statsmodels.api as sm
from numpy.testing import assert_allclose

from sklearn_mle import MLEPoissonRegression, PoissonMLE


def test_poisson_regression_profile_equals_statsmodels_with_the_coefficient_as_offset():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    y = rng.poisson(np.exp(0.3 + 0.5 * X[:, 0] - 0.2 * X[:, 1]))
    est = MLEPoissonRegression().fit(X, y)
    j = est.param_names_.index("x0")
    Xc = sm.add_constant(X)
    for value in (0.3, 0.5, 0.7):
        ref = sm.GLM(y, np.delete(Xc, 1, axis=1), family=sm.families.Poisson(),
                     offset=value * Xc[:, 1]).fit(tol=1e-12)
        assert_allclose(est.profile_loglik("x0", value), ref.llf, rtol=1e-9)
        assert_allclose(est.profile_loglik(j, value), ref.llf, rtol=1e-9)
    assert_allclose(est.profile_loglik("x0", est.estimates_[j]), est.loglik_, rtol=1e-10)


def test_poisson_rate_profile_is_the_closed_form_loglik():
    X = np.array([[1], [2], [3], [6]])
    est = PoissonMLE().fit(X)
    lam = 2.5
    from scipy import stats

    assert_allclose(est.profile_loglik("rate", lam), stats.poisson.logpmf(X, lam).sum(),
                    rtol=1e-12)


def test_bad_parameter_names():
    est = PoissonMLE().fit(np.array([[1], [2]]))
    with pytest.raises(ValueError, match="unknown parameter"):
        est.profile_loglik("mean", 1.0)
    with pytest.raises(ValueError, match="outside"):
        est.profile_loglik(3, 1.0)
