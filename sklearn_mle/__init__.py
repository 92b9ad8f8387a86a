"""sklearn_mle: scikit-learn-compatible maximum-likelihood and MAP estimators.

Every estimator follows scikit-learn's fit/score/predict API and carries
statsmodels-grade inference: ``loglik_``, ``n_params_``, ``bse_``, ``conf_int()``,
``summary()``, ``aic()``/``bic()`` and :func:`likelihood_ratio_test`.
"""

from .distributions import (
    BernoulliMLE,
    BetaMLE,
    BinomialMLE,
    BoundaryWarning,
    CategoricalMLE,
    ExponentialMLE,
    GammaMLE,
    GaussianMLE,
    GeometricMLE,
    LogNormalMLE,
    MultinomialMLE,
    NegativeBinomialMLE,
    PoissonMLE,
    ShiftedMLE,
    StudentTMLE,
    WeibullMLE,
)
from .exceptions import NumericalRangeWarning
from .hmm import HiddenMarkovModel
from .inference import InferenceWarning, LikelihoodRatioResult, Summary, likelihood_ratio_test
from .linear_model import (
    MLELinearRegression,
    MLELogisticRegression,
    MLENegativeBinomialRegression,
    MLEPoissonRegression,
    SeparationWarning,
)
from .mixture import GaussianMixture, MixtureMLE
from .model_selection import (
    DistributionFit,
    GridSearchIC,
    compare_models,
    goodness_of_fit,
    rank_distributions,
    vuong_test,
)
from .naive_bayes import GenerativeClassifier, IndependentMLE, NaiveBayes

__version__ = "0.1.0"

__all__ = [
    "BernoulliMLE",
    "BetaMLE",
    "BinomialMLE",
    "BoundaryWarning",
    "CategoricalMLE",
    "DistributionFit",
    "ExponentialMLE",
    "GammaMLE",
    "GaussianMLE",
    "GaussianMixture",
    "GenerativeClassifier",
    "GeometricMLE",
    "GridSearchIC",
    "HiddenMarkovModel",
    "IndependentMLE",
    "InferenceWarning",
    "LikelihoodRatioResult",
    "LogNormalMLE",
    "MixtureMLE",
    "MultinomialMLE",
    "NaiveBayes",
    "NumericalRangeWarning",
    "NegativeBinomialMLE",
    "MLELinearRegression",
    "MLELogisticRegression",
    "MLENegativeBinomialRegression",
    "MLEPoissonRegression",
    "PoissonMLE",
    "SeparationWarning",
    "ShiftedMLE",
    "StudentTMLE",
    "Summary",
    "WeibullMLE",
    "compare_models",
    "goodness_of_fit",
    "likelihood_ratio_test",
    "rank_distributions",
    "vuong_test",
]
