"""scikit-learn's estimator checks that a restricted domain cannot pass, by design."""

from __future__ import annotations

__all__ = ["DOMAIN_LIMITED_CHECKS", "domain_xfails"]

# scikit-learn's estimator checks feed continuous random data; for a family with a
# discrete or bounded domain, these checks stop at the domain error by design. The
# package's own contract tests run the same properties on valid data.
DOMAIN_LIMITED_CHECKS = (
    "check_all_zero_sample_weights_error",
    "check_dict_unchanged",
    "check_dont_overwrite_parameters",
    "check_dtype_object",
    "check_estimators_dtypes",
    "check_estimators_fit_returns_self",
    "check_estimators_nan_inf",
    "check_estimators_overwrite_params",
    "check_estimators_pickle",
    "check_estimators_pickle(readonly_memmap=True)",
    "check_f_contiguous_array_estimator",
    "check_fit2d_1feature",
    "check_fit2d_1sample",
    "check_fit2d_predict1d",
    "check_fit_check_is_fitted",
    "check_fit_idempotent",
    "check_fit_score_takes_y",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_n_features_in",
    "check_n_features_in_after_fitting",
    "check_pipeline_consistency",
    "check_positive_only_tag_during_fit",
    "check_readonly_memmap_input",
    "check_sample_weight_equivalence_on_dense_data",
    "check_sample_weights_list",
    "check_sample_weights_not_an_array",
    "check_sample_weights_not_overwritten",
    "check_sample_weights_pandas_series",
    "check_sample_weights_shape",
)


def domain_xfails(rule: str, passing: tuple = (), reason: str | None = None) -> dict:
    """``{check: reason}`` for the sklearn checks a restricted domain cannot pass.

    ``passing`` names the checks of :data:`DOMAIN_LIMITED_CHECKS` that do pass for the
    family (e.g. thanks to input tags), so that only real failures are expected.
    """
    reason = reason or f"sklearn's checks use continuous random data; {rule}"
    return {k: reason for k in DOMAIN_LIMITED_CHECKS if k not in passing}
