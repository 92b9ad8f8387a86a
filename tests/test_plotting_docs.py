"""The documentation site's inputs, checked without building it (the build itself, with
its post-build check of images and API pages, runs in .ci/run): every public name gets
an API page, every gallery script has the title sphinx-gallery needs, and the CLI page
is generated from the parser."""

import ast
import importlib
import importlib.util
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import sklearn_mle

ROOT = Path(__file__).resolve().parents[1]
GALLERY = sorted((ROOT / "examples").glob("plot_*.py"))


@pytest.fixture(scope="module")
def conf():
    spec = importlib.util.spec_from_file_location("sklearn_mle_docs_conf",
                                                  ROOT / "docs" / "conf.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # no ``tags``: nothing is written
    return module


def _public_modules():
    names = ["sklearn_mle"]
    for info in pkgutil.iter_modules(sklearn_mle.__path__):
        if not info.name.startswith("_"):
            names.append(f"sklearn_mle.{info.name}")
    return names


def test_every_public_name_has_an_api_entry(conf):
    listed = {}
    for entries in conf._public_objects().values():
        for path, name in entries:
            obj = getattr(importlib.import_module(path), name)
            listed[id(obj)] = f"{path}.{name}"
    missing = []
    for modname in _public_modules():
        mod = importlib.import_module(modname)
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            if (inspect.isclass(obj) or inspect.isfunction(obj)) and id(obj) not in listed:
                missing.append(f"{modname}.{name}")
    assert not missing, f"public names without an API page: {missing}"


def test_api_sections(conf):
    objects = conf._public_objects()
    warnings_section = {name for _, name in objects["sklearn_mle.exceptions"]}
    assert {"ComponentCollapseWarning", "BoundaryWarning", "SeparationWarning"} <= \
        warnings_section
    assert all(issubclass(getattr(importlib.import_module(p), n), Warning)
               for p, n in objects["sklearn_mle.exceptions"])
    plotting = {name for _, name in objects["sklearn_mle.plotting"]}
    assert {"DistributionFitDisplay", "plot_fit_diagnostics", "MixtureDisplay"} <= plotting
    base = {name for _, name in objects["sklearn_mle.base"]}
    assert "LikelihoodMixin" in base


@pytest.mark.parametrize("script", GALLERY, ids=[p.name for p in GALLERY])
def test_gallery_script_has_a_title(script):
    doc = ast.get_docstring(ast.parse(script.read_text()), clean=False)
    assert doc, f"{script.name}: a gallery example starts with a docstring"
    lines = [ln.rstrip() for ln in doc.strip("\n").splitlines()]
    assert len(lines) >= 2 and re.fullmatch(r"=+", lines[1]), (
        f"{script.name}: the docstring's first line is the title, underlined with '='")
    assert len(lines[1]) >= len(lines[0]), f"{script.name}: title underline too short"


def test_cli_help_is_generated_from_the_parser(conf):
    top, commands = conf._cli_commands()
    assert "usage: sklearn-mle" in top
    assert "fit" in commands and "families" in commands
    fit = conf._cli_help(["fit"])
    for option in ("--column", "--families", "--criterion", "--alpha", "--ci", "--format"):
        assert option in fit
