"""Every public estimator of the package, for the contract tests.

Discovered from ``sklearn_mle.__all__``: a new estimator is checked as soon as it is
exported. A class may declare ``_sklearn_xfail_checks = {check_name: reason}`` for
sklearn checks that cannot pass by design (e.g. integer-only domains) and
``_check_instances()`` returning the instances to check (default: one default-constructed).
"""

import inspect

from sklearn.base import BaseEstimator

import sklearn_mle


def public_estimator_classes():
    out = []
    for name in sklearn_mle.__all__:
        obj = getattr(sklearn_mle, name)
        if inspect.isclass(obj) and issubclass(obj, BaseEstimator):
            out.append(obj)
    return out


def check_instances():
    out = []
    for cls in public_estimator_classes():
        maker = getattr(cls, "_check_instances", None)
        out.extend(maker() if maker is not None else [cls()])
    return out


def expected_failed_checks(estimator):
    return dict(getattr(type(estimator), "_sklearn_xfail_checks", {}))
