"""Classifiers by Bayes' rule: a density per class, and naive Bayes over any family.

:class:`GenerativeClassifier` fits one density estimator per class and classifies by
Bayes' rule; :class:`IndependentMLE` is a product of densities over column groups
(naive Bayes with a different family per column inside the classifier);
:class:`NaiveBayes` infers the family of each column from its domain.
"""

from ._generative import GenerativeClassifier
from ._independent import IndependentMLE
from ._naive_bayes import NaiveBayes
from ._summaries import ClassSummaries

__all__ = ["ClassSummaries", "GenerativeClassifier", "IndependentMLE", "NaiveBayes"]
