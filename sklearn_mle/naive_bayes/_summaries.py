"""``ClassSummaries``: a classifier's summary, one table per class."""

from __future__ import annotations

import html

import numpy as np

__all__ = ["ClassSummaries"]


class ClassSummaries(dict):
    """A dict ``label -> Summary`` (each class's density), with the class probabilities.

    Prints as a short table of the classes (count, probability) followed by each
    class's summary; renders as HTML in notebooks; ``to_frame()`` stacks the class
    tables in one :class:`pandas.DataFrame` indexed by ``(class, parameter)``.

    Attributes
    ----------
    classes : ndarray
        The labels, in order.
    class_prior : ndarray
        The class probabilities.
    class_count : ndarray
        The (weighted) training rows of each class.
    """

    def __init__(self, tables, classes, class_prior, class_count):
        super().__init__(tables)
        self.classes = np.asarray(classes)
        self.class_prior = np.asarray(class_prior, dtype=float)
        self.class_count = np.asarray(class_count, dtype=float)

    def _class_lines(self):
        width = max([5] + [len(str(c)) for c in self.classes])
        lines = [f"{'class':<{width}}  {'count':>10}  {'probability':>11}"]
        for c, n, p in zip(self.classes, self.class_count, self.class_prior):
            lines.append(f"{c!s:<{width}}  {n:>10.6g}  {p:>11.4g}")
        return lines

    def as_text(self) -> str:
        """The class table and every class's summary, as plain text."""
        parts = ["\n".join(self._class_lines())]
        for label, table in self.items():
            parts.append(f"class {label!r}\n{table.as_text()}")
        return "\n\n".join(parts)

    def __str__(self) -> str:
        return self.as_text()

    def __repr__(self) -> str:
        return self.as_text()

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(str(c))}</td><td>{n:.6g}</td><td>{p:.4g}</td></tr>"
            for c, n, p in zip(self.classes, self.class_count, self.class_prior))
        out = [f"<table><tr><th>class</th><th>count</th><th>probability</th></tr>{rows}"
               "</table>"]
        for label, table in self.items():
            out.append(f"<h4>class {html.escape(repr(label))}</h4>{table._repr_html_()}")
        return "".join(out)

    def to_frame(self):
        """The class tables in one DataFrame, indexed by (class, parameter)."""
        import pandas as pd

        return pd.concat({label: table.to_frame() for label, table in self.items()},
                         names=["class", "parameter"])
