"""sklearn_mle: scikit-learn-compatible maximum-likelihood and MAP estimators.

Every estimator follows scikit-learn's fit/score/predict API and carries
statsmodels-grade inference: ``loglik_``, ``n_params_``, ``bse_``, ``conf_int()``,
``summary()``, ``aic()``/``bic()`` and :func:`likelihood_ratio_test`.

The public names are imported on first use (PEP 562): ``from sklearn_mle import
GammaMLE`` and ``sklearn_mle.GammaMLE`` work as usual, while ``import sklearn_mle``
itself loads no subpackage, so a program (the ``sklearn-mle`` command line) pays only
for the subpackages it uses.
"""

import importlib

__version__ = "0.1.0"

# public name -> the subpackage it is re-exported from
_EXPORTS = {
    "BernoulliMLE": "distributions",
    "BetaMLE": "distributions",
    "BinomialMLE": "distributions",
    "BoundaryWarning": "exceptions",
    "CategoricalMLE": "distributions",
    "DistributionFit": "model_selection",
    "ExponentialMLE": "distributions",
    "GammaMLE": "distributions",
    "GaussianMLE": "distributions",
    "GaussianMixture": "mixture",
    "GenerativeClassifier": "naive_bayes",
    "GeometricMLE": "distributions",
    "GridSearchIC": "model_selection",
    "HiddenMarkovModel": "hmm",
    "IndependentMLE": "naive_bayes",
    "InferenceWarning": "exceptions",
    "LikelihoodRatioResult": "inference",
    "LogNormalMLE": "distributions",
    "MixtureMLE": "mixture",
    "MultinomialMLE": "distributions",
    "NaiveBayes": "naive_bayes",
    "NumericalRangeWarning": "exceptions",
    "NegativeBinomialMLE": "distributions",
    "MLELinearRegression": "linear_model",
    "MLELogisticRegression": "linear_model",
    "MLENegativeBinomialRegression": "linear_model",
    "MLEPoissonRegression": "linear_model",
    "PoissonMLE": "distributions",
    "SeparationWarning": "exceptions",
    "ShiftedMLE": "distributions",
    "StudentTMLE": "distributions",
    "Summary": "inference",
    "WeibullMLE": "distributions",
    "compare_models": "model_selection",
    "goodness_of_fit": "model_selection",
    "likelihood_ratio_test": "inference",
    "rank_distributions": "model_selection",
    "vuong_test": "model_selection",
}

# the subpackages an eager ``import sklearn_mle`` used to leave as attributes (listed by
# ``dir``); every other submodule is an attribute too once imported, as for any package
_SUBPACKAGES = (
    "_engine", "_native", "base", "distributions", "exceptions", "families", "hmm",
    "inference", "linear_model", "mixture", "model_selection", "naive_bayes", "priors",
)

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    home = _EXPORTS.get(name)
    if home is not None:
        value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
        globals()[name] = value  # later look-ups skip this function
        return value
    if name in _SUBPACKAGES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# this module's own machinery, left out of ``dir`` as the eager module had none
_HIDDEN = {"_EXPORTS", "_SUBPACKAGES", "_HIDDEN", "__getattr__", "__dir__", "importlib"}


def __dir__() -> list[str]:
    return sorted((set(globals()) - _HIDDEN) | set(__all__) | set(_SUBPACKAGES))
