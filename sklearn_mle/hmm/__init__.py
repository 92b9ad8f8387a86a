"""Hidden Markov models over any emission family (:class:`HiddenMarkovModel`)."""

from ._dask import sequence_chunks
from ._model import HiddenMarkovModel

__all__ = ["HiddenMarkovModel", "sequence_chunks"]
