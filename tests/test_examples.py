"""Every script in examples/ runs to completion (its own asserts check the numbers)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted((ROOT / "examples").glob("*.py"))


def test_examples_exist():
    names = {p.name for p in SCRIPTS}
    assert {"worked_examples.py", "gridsearch_covariance_type.py",
            "likelihood_ratio_test.py", "rank_bundled_data.py"} <= names


@pytest.mark.parametrize("script", SCRIPTS, ids=[p.name for p in SCRIPTS])
def test_example_runs(script, tmp_path):
    env = dict(os.environ)
    # the working tree's package, whether or not it is installed
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["MPLBACKEND"] = "Agg"
    proc = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, f"{script.name} failed:\n{proc.stdout}\n{proc.stderr}"
    assert proc.stdout.strip(), f"{script.name} printed nothing"


def _fenced_blocks(text, lang):
    blocks, current = [], None
    for line in text.splitlines():
        if current is None and line.strip() == f"```{lang}":
            current = []
        elif current is not None and line.strip() == "```":
            blocks.append("\n".join(current))
            current = None
        elif current is not None:
            current.append(line)
    return blocks


def test_readme_tour_runs(capsys):
    import shlex

    from sklearn_mle.cli import main

    text = (ROOT / "README.md").read_text()
    tour = text.split("## A tour", 1)[1].split("## Two commands", 1)[0]
    (code,) = _fenced_blocks(tour, "python")
    namespace = {}
    exec(compile(code, "README.md tour", "exec"), namespace)  # every line must run
    assert namespace["gauss"].mean_[0] == 170.0
    (shell,) = _fenced_blocks(tour, "bash")
    commands = [shlex.split(line) for line in shell.splitlines() if line.strip()]
    assert commands and all(c[0] == "sklearn-mle" for c in commands)
    for argv in commands:
        assert main(argv[1:]) == 0, argv
    out = capsys.readouterr().out
    assert "Column 'age'" in out


GUIDE_PAGES = [ROOT / "docs" / "user_guide.rst", *sorted((ROOT / "docs" / "guide").glob("*.rst"))]


def test_user_guide_has_examples():
    import doctest

    parser = doctest.DocTestParser()
    n = sum(len(parser.get_examples(p.read_text())) for p in GUIDE_PAGES)
    assert n > 20


@pytest.mark.parametrize("page", GUIDE_PAGES, ids=[p.name for p in GUIDE_PAGES])
def test_user_guide_examples_run(page):
    import doctest

    result = doctest.testfile(
        str(page), module_relative=False,
        optionflags=doctest.NORMALIZE_WHITESPACE, verbose=False,
    )
    assert result.failed == 0
