"""Standard errors computed when first read, for models whose inference costs a pass.

A mixture's or a hidden Markov model's observed information costs more than its fit
(outer products of per-row scores, or a numerical Hessian of the forward algorithm),
so those models keep a reference to the training data at fit time and compute the
inference attributes on first access (``bse_``, ``cov_params_``, ``conf_int``,
``summary``). The data are never pickled.
"""

from __future__ import annotations

LAZY_INFERENCE = ("param_names_", "estimates_", "cov_params_", "bse_", "pvalues_")


class LazyInferenceMixin:
    """``_defer_inference(*data)`` now, ``_compute_inference(*data)`` on first read."""

    def _defer_inference(self, *data):
        for name in LAZY_INFERENCE:
            self.__dict__.pop(name, None)
        self._inference_holder = {"data": data}

    def _compute_inference(self, *data):  # pragma: no cover - hook
        raise NotImplementedError

    def __getattr__(self, name):
        # only reached when normal lookup fails: the deferred inference attributes
        if name in LAZY_INFERENCE:
            holder = self.__dict__.get("_inference_holder")
            if holder is not None:
                data = holder.pop("data", None)
                if data is None:
                    raise AttributeError(
                        f"{type(self).__name__}.{name}: the standard errors are computed "
                        "from the training data, which a pickled model does not keep; read "
                        "bse_ (or call summary()) before pickling, or refit")
                self._compute_inference(*data)
                return self.__dict__[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __getstate__(self):
        state = super().__getstate__()
        holder = state.get("_inference_holder")
        if holder is not None and "data" in holder:
            state = dict(state, _inference_holder={})  # never pickle the training data
        return state
