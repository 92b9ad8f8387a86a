"""Model selection: information criteria, likelihood-ratio comparisons, distribution ranking.

The names are imported on first use (PEP 562), so that ranking distributions (the
``sklearn-mle fit`` command line) does not load the grid search and its scikit-learn
model-selection machinery.
"""

import importlib

# public name -> the module that defines it
_EXPORTS = {
    "FAMILIES": "_ranking",
    "DistributionFit": "_ranking",
    "Family": "_ranking",
    "GoodnessOfFit": "_gof",
    "GridSearchIC": "_search",
    "VuongResult": "_compare",
    "column_domain": "_ranking",
    "compare_models": "_compare",
    "format_ranking": "_text",
    "goodness_of_fit": "_gof",
    "parameter_frame": "_tables",
    "rank_distributions": "_ranking",
    "ranking_frame": "_tables",
    "resolve_families": "_ranking",
    "vuong_test": "_compare",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    home = _EXPORTS.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted((set(globals()) - {"_EXPORTS", "__getattr__", "__dir__", "importlib"})
                  | set(__all__))
