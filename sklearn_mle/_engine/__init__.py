"""The engine under every estimator: row blocks (:func:`map_reduce`) and validation of
what every estimator shares (sample weights)."""

from .blocks import BLOCK_ELEMENTS, effective_threads, map_blocks, map_reduce, row_blocks
from .weights import check_sample_weight

__all__ = ["BLOCK_ELEMENTS", "check_sample_weight", "effective_threads", "map_blocks",
           "map_reduce", "row_blocks"]
