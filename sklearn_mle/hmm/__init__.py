"""Hidden Markov models over any emission family (:class:`HiddenMarkovModel`)."""

from ._model import HiddenMarkovModel

__all__ = ["HiddenMarkovModel"]
