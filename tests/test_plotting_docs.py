"""The documentation site's inputs, checked without building it (the build itself, with
its post-build check of images, API pages and "Examples using" links, runs in .ci/run):
every public name gets an API page, every script of examples/ is a gallery page with
the title and cells sphinx-gallery needs, the post-build check finds what a broken site
lacks, and the CLI page is generated from the parser."""

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
GALLERY = sorted((ROOT / "examples").glob("*.py"))


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
    # text cells between code: a page that reads as a tutorial, not one code block
    assert script.read_text().count("\n# %%") >= 2, f"{script.name}: split it into # %% cells"


def test_every_example_is_a_gallery_page(conf):
    # "every script in examples/ renders": none is left out by the gallery's patterns
    assert conf.gallery_scripts() == [p.stem for p in GALLERY]
    assert {"worked_examples", "likelihood_ratio_test", "prior_on_the_boundary",
            "rank_bundled_data", "gridsearch_covariance_type"} <= set(conf.gallery_scripts())


def _fake_site(tmp_path, *, figure=True, api_page=True, backlink=True):
    """A built site of one example ``ex`` using one public name ``sklearn_mle.A``."""
    out, src = tmp_path / "html", tmp_path / "src"
    (out / "auto_examples").mkdir(parents=True)
    (out / "generated").mkdir()
    (src / "generated" / "backreferences").mkdir(parents=True)
    img = '<img alt="x" src="../_images/sphx_glr_ex_001.png" />' if figure else \
        '<img alt="logo" src="../_static/logo.png" />'
    (out / "auto_examples" / "ex.html").write_text(f"<html>{img}</html>")
    (src / "generated" / "backreferences" / "sklearn_mle.A.examples").write_text(
        ".. minigallery entry for ex")
    (src / "generated" / "backreferences" / "sklearn_mle.B.examples").write_text("")
    link = ('<p class="rubric">Examples using <code>A</code></p>'
            '<a href="../auto_examples/ex.html#sphx-glr-auto-examples-ex-py">ex</a>')
    if api_page:
        (out / "generated" / "sklearn_mle.A.html").write_text(
            f"<html>{link if backlink else ''}</html>")
    (out / "generated" / "sklearn_mle.B.html").write_text("<html>no example uses B</html>")
    return out, src


def test_site_check_passes_a_complete_site(conf, tmp_path):
    out, src = _fake_site(tmp_path)
    public = [("sklearn_mle", "A"), ("sklearn_mle", "B")]
    assert conf.site_problems(out, src, ["ex"], public) == []


@pytest.mark.parametrize("broken, expected", [
    ({"figure": False}, "gallery page ex.html shows no figure of its own"),
    ({"api_page": False}, "public name sklearn_mle.A has no API page"),
    ({"backlink": False}, "API page sklearn_mle.A.html lacks its 'Examples using' links"),
])
def test_site_check_finds_what_is_missing(conf, tmp_path, broken, expected):
    out, src = _fake_site(tmp_path, **broken)
    public = [("sklearn_mle", "A"), ("sklearn_mle", "B")]
    problems = conf.site_problems(out, src, ["ex"], public)
    assert expected in problems
    if not broken.get("api_page", True) or not broken.get("backlink", True):
        assert "example ex.py is linked from no API page" in problems
    # an example without a page at all
    assert "example other.py has no gallery page" in conf.site_problems(
        out, src, ["ex", "other"], public)


def test_site_check_without_running_examples(conf, tmp_path):
    # SKLEARN_MLE_DOCS_PLOT=0: no figures, no backlinks expected; API pages still are
    out, src = _fake_site(tmp_path, figure=False, backlink=False)
    public = [("sklearn_mle", "A"), ("sklearn_mle", "C")]
    assert conf.site_problems(out, src, ["ex"], public, executed=False) == [
        "public name sklearn_mle.C has no API page"]


def test_cli_help_is_generated_from_the_parser(conf):
    top, commands = conf._cli_commands()
    assert "usage: sklearn-mle" in top
    assert "fit" in commands and "families" in commands
    fit = conf._cli_help(["fit"])
    for option in ("--column", "--families", "--criterion", "--alpha", "--ci", "--format"):
        assert option in fit


def test_readme_figure_is_small_and_every_readme_image_exists():
    png = ROOT / "docs" / "images" / "readme_diagnostics.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert png.stat().st_size < 150_000, "README.md's figure should stay under 150 KB"
    # README.md is read where nothing is built: its images must be committed files
    for target in re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", (ROOT / "README.md").read_text()):
        if not target.startswith(("http://", "https://")):
            assert (ROOT / target).is_file(), f"README.md shows a missing image: {target}"
