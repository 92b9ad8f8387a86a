"""The model-selection topic page's examples run and print what they show."""

import doctest
from pathlib import Path

PAGE = Path(__file__).resolve().parents[1] / "docs" / "topics" / "model_selection.rst"


def test_model_selection_page_examples_run():
    result = doctest.testfile(str(PAGE), module_relative=False, verbose=False,
                              optionflags=doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS)
    assert result.attempted > 30 and result.failed == 0
