"""Sphinx configuration of the sklearn_mle documentation.

Build with ``python -m sphinx -W --keep-going -b html docs /tmp/out`` (as ``.ci/run``).

Generated at every build (all under ignored paths):

- ``generated/public_api.rst``: the API reference, one section per public module, one
  page per name of its ``__all__`` (warnings in their own section), so a new export
  appears without editing the docs;
- ``generated/cli_*.txt``: the ``--help`` text of every ``sklearn-mle`` command, from the
  argparse parser itself (``sklearn_mle.cli.main``), included by ``cli.rst``;
- ``auto_examples/``: the sphinx-gallery pages of every script of ``examples/``, each
  executed (``SKLEARN_MLE_DOCS_PLOT=0`` renders the code without running it: a quick
  build). A failing example fails the build with its file name in the message.

After the build, :func:`_check_site` runs :func:`site_problems`: every script of
``examples/`` has a gallery page that shows its own figure, every public name has an
API page, the API page of every name an example uses shows "Examples using ..." with
the link, and every example is linked from some API page. A miss is a warning, so
``-W`` fails on it.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import os
import re
import sys
import types
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, ROOT)
os.environ.setdefault("MPLBACKEND", "Agg")

import sklearn_mle  # noqa: E402

project = "sklearn_mle"
author = "sklearn_mle developers"
copyright = "sklearn_mle developers, BSD-3-Clause"
release = sklearn_mle.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.doctest",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints"]

# ----------------------------------------------------------------- theme
html_theme = "pydata_sphinx_theme"
html_title = f"sklearn_mle {release}"
html_static_path: list[str] = []
html_theme_options = {
    "navbar_align": "left",
    "header_links_before_dropdown": 7,
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_sidebars = {"index": [], "install": [], "changelog": [], "cli": []}

# ------------------------------------------------------------- autodoc
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"members": True, "inherited-members": True}
autodoc_typehints = "none"  # numpydoc sections carry the types
# "On this page" lists ``fit()``, not ``GaussianMLE.fit()``: long names overflowed it
toc_object_entries_show_parents = "hide"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -------------------------------------------------------------- gallery
_RUN_EXAMPLES = os.environ.get("SKLEARN_MLE_DOCS_PLOT", "1") != "0"
sphinx_gallery_conf = {
    "examples_dirs": [os.path.join(ROOT, "examples")],
    "gallery_dirs": ["auto_examples"],
    # Every script of examples/ is a gallery page, executed: each starts with a reST
    # title in its docstring and splits into ``# %%`` cells (tests/test_plotting_docs.py
    # checks both). Matched against the full path; the names need no ``plot_`` prefix.
    "filename_pattern": r"\.py$",
    "ignore_pattern": r"__init__\.py$",
    "plot_gallery": _RUN_EXAMPLES,
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("sklearn_mle",),
    "backreferences_dir": os.path.join("generated", "backreferences"),
    "image_scrapers": ("matplotlib",),
    "remove_config_comments": True,
    # a cell ending in a Display or an artist shows its figure, not its repr
    "ignore_repr_types": r"matplotlib\.|Display'>",
    "min_reported_time": 1,
    "write_computation_times": False,  # no sg_execution_times.rst in the sources
    "show_memory": False,
    "download_all_examples": False,
    "abort_on_example_error": False,
    "reset_modules": ("matplotlib",),
}
# an Agg canvas has no window: plt.show() in an example is a no-op, not a warning
warnings.filterwarnings("ignore", message="FigureCanvasAgg is non-interactive")
warnings.filterwarnings("ignore", message="Matplotlib is currently using agg")

# ---------------------------------------------------------- API reference
# One section per public module, in reading order. A name is listed once, in the
# section of the module that defines it (warnings: sklearn_mle.exceptions), under the
# shortest import path a user has: ``sklearn_mle.GaussianMLE`` when the top level
# exports it.
_SECTIONS = [
    ("sklearn_mle.distributions", "Distributions (density estimators)"),
    ("sklearn_mle.linear_model", "Regression models (GLMs)"),
    ("sklearn_mle.mixture", "Mixtures (EM)"),
    ("sklearn_mle.hmm", "Hidden Markov models"),
    ("sklearn_mle.naive_bayes", "Classifiers by Bayes' rule"),
    ("sklearn_mle.model_selection", "Model selection"),
    ("sklearn_mle.inference", "Inference"),
    ("sklearn_mle.priors", "Priors for MAP estimation"),
    ("sklearn_mle.families", "Families: the public protocol"),
    ("sklearn_mle.plotting", "Plotting"),
    ("sklearn_mle.datasets", "Data sets"),
    ("sklearn_mle.base", "Base classes"),
    ("sklearn_mle", "Other top-level names"),
    ("sklearn_mle.exceptions", "Warnings"),
    ("sklearn_mle.cli", "Command line"),
]


def _sections():
    """``_SECTIONS`` plus any other public module of the package (a new subpackage is
    listed under its own name before the warnings, without editing this file)."""
    import pkgutil

    known = [m for m, _ in _SECTIONS]
    extra = [f"sklearn_mle.{info.name}" for info in pkgutil.iter_modules(sklearn_mle.__path__)
             if not info.name.startswith("_") and f"sklearn_mle.{info.name}" not in known]
    at = known.index("sklearn_mle")
    return _SECTIONS[:at] + [(m, f"``{m}``") for m in sorted(extra)] + _SECTIONS[at:]


def _public_objects():
    """``{section module: [(documented path, name), ...]}`` for every public name."""
    modules = {}
    for modname, _ in _sections():
        try:
            modules[modname] = importlib.import_module(modname)
        except ImportError:  # a module not written yet
            continue
    top = modules["sklearn_mle"]
    top_names = {id(getattr(top, n)): n for n in getattr(top, "__all__", [])}
    homes = {}  # id -> (section, path, name)
    for modname, mod in modules.items():
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            if id(obj) in homes or not (inspect.isclass(obj) or inspect.isfunction(obj)):
                continue  # data (e.g. FAMILIES) is described in the user guide
            section = _home_section(obj, modules) or modname
            if top_names.get(id(obj)) == name:
                path = "sklearn_mle"
            elif name in getattr(modules.get(section), "__all__", ()):
                path = section  # where it is defined, not where it is re-exported
            else:
                path = modname
            homes[id(obj)] = (section, path, name)
    out = {m: [] for m in modules}
    for section, path, name in homes.values():
        out[section].append((path, name))
    return {m: sorted(v, key=lambda pn: pn[1].lower()) for m, v in out.items()}


def _home_section(obj, modules):
    """The listed module whose package defines ``obj`` (the longest matching prefix)."""
    if inspect.isclass(obj) and issubclass(obj, Warning) and obj.__module__.startswith(
            "sklearn_mle"):
        return "sklearn_mle.exceptions"
    defined = getattr(obj, "__module__", "") or ""
    best = None
    for modname in modules:
        if modname == "sklearn_mle":
            continue
        if defined == modname or defined.startswith(modname + "."):
            if best is None or len(modname) > len(best):
                best = modname
    return best


def _public_api_rst() -> str:
    objects = _public_objects()
    lines = [
        ".. This file is generated by docs/conf.py at every build; do not edit.",
        "",
        "Public names",
        "============",
        "",
        "Names exported at the top level are documented as ``sklearn_mle.Name``: "
        "``from sklearn_mle import GaussianMLE``.",
        "",
    ]
    for modname, title in _sections():
        entries = objects.get(modname)
        if not entries:
            continue
        where = (f"Defined in ``{modname}``." if modname != "sklearn_mle"
                 else "Exported by ``sklearn_mle``.")
        lines += [title, "-" * len(title), "", where, "", ".. autosummary::",
                  "   :toctree: .", "   :nosignatures:", ""]
        lines += [f"   ~{path}.{name}" for path, name in entries]
        lines.append("")
    return "\n".join(lines)


def _cli_help(argv) -> str:
    """What ``sklearn-mle ARGV --help`` prints, from the package's own parser."""
    from sklearn_mle.cli import main

    buf = io.StringIO()
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "88"  # argparse wraps at the terminal's width: fix it
    try:
        with contextlib.redirect_stdout(buf):
            main([*argv, "--help"])
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old
    return buf.getvalue()


def _cli_commands():
    """The sub-commands named in the top-level help's ``{a,b}`` choice list."""
    text = _cli_help([])
    match = re.search(r"\{([\w,-]+)\}", text)
    return text, (match.group(1).split(",") if match else [])


def _write_if_changed(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            if fh.read() == text:
                return
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def _write_generated():
    gen = os.path.join(HERE, "generated")
    # pages of names no longer public would be orphans (a warning): remove them
    current = {f"{path}.{name}.rst" for entries in _public_objects().values()
               for path, name in entries}
    if os.path.isdir(gen):
        for fname in os.listdir(gen):
            if fname.startswith("sklearn_mle.") and fname.endswith(".rst") \
                    and fname not in current:
                os.remove(os.path.join(gen, fname))
    _write_if_changed(os.path.join(gen, "public_api.rst"), _public_api_rst())
    top, commands = _cli_commands()
    _write_if_changed(os.path.join(gen, "cli_main.txt"), top)
    parts = [".. This file is generated by docs/conf.py at every build; do not edit.", ""]
    for cmd in commands:
        _write_if_changed(os.path.join(gen, f"cli_{cmd}.txt"), _cli_help([cmd]))
        title = f"sklearn-mle {cmd}"
        parts += [title, "~" * len(title), "", f".. literalinclude:: /generated/cli_{cmd}.txt",
                  "   :language: text", ""]
    _write_if_changed(os.path.join(gen, "cli_commands.rst"), "\n".join(parts))


if "tags" in globals():  # read by Sphinx (which defines ``tags``), not imported by a test
    _write_generated()


# ------------------------------------------------------------ build hooks
_BUILTIN_MEMBERS = (types.BuiltinFunctionType, types.MethodDescriptorType,
                    types.WrapperDescriptorType, types.ClassMethodDescriptorType,
                    types.GetSetDescriptorType, types.MemberDescriptorType)


def _skip_foreign_members(app, what, name, obj, skip, options):
    """Document the package's own methods, not those inherited from scikit-learn or
    Python (a warning's page lists no ``add_note``/``with_traceback``)."""
    if skip:
        return skip
    target = getattr(obj, "fget", obj)
    if isinstance(target, _BUILTIN_MEMBERS):  # C-level members carry no __module__
        return True
    module = getattr(target, "__module__", None) or ""
    if module == "builtins" or (module.split(".")[0] != "sklearn_mle" and module):
        return True
    return None


def gallery_scripts() -> list[str]:
    """The stems of the scripts in ``examples/`` that the gallery renders."""
    conf = sphinx_gallery_conf
    names = sorted(os.listdir(conf["examples_dirs"][0]))
    return [os.path.splitext(n)[0] for n in names
            if n.endswith(".py") and re.search(conf["filename_pattern"], os.sep + n)
            and not re.search(conf["ignore_pattern"], n)]


def site_problems(outdir, srcdir, scripts, public, *, executed=True) -> list[str]:
    """What the built site at ``outdir`` lacks, one sentence per miss.

    ``scripts``: the stems of the gallery's scripts; ``public``: ``(path, name)`` of every
    public name; ``executed``: whether the examples were run (only then are their
    figures and "Examples using" links there). ``srcdir`` holds the generated
    ``backreferences`` sphinx-gallery wrote.
    """
    problems = []
    gallery = os.path.join(outdir, "auto_examples")
    for stem in scripts:
        page = os.path.join(gallery, f"{stem}.html")
        if not os.path.exists(page):
            problems.append(f"example {stem}.py has no gallery page")
        elif executed:
            with open(page, encoding="utf-8") as fh:
                html = fh.read()
            # its own figure (sphinx-gallery names them sphx_glr_<stem>_001.png, ...)
            if not re.search(rf"<img[^>]+sphx_glr_{re.escape(stem)}_\d+\.png", html):
                problems.append(f"gallery page {stem}.html shows no figure of its own")
    backrefs = os.path.join(srcdir, "generated", "backreferences")
    linked = set()
    for path, name in public:
        page = os.path.join(outdir, "generated", f"{path}.{name}.html")
        if not os.path.exists(page):
            problems.append(f"public name {path}.{name} has no API page")
            continue
        with open(page, encoding="utf-8") as fh:
            html = fh.read()
        found = set(re.findall(r"auto_examples/(\w+)\.html", html))
        linked |= found
        # the names the template's minigallery looks up (see _templates/autosummary)
        uses = False
        for ref in {f"{path}.{name}", f"sklearn_mle.{name}"}:
            fname = os.path.join(backrefs, f"{ref}.examples")
            uses = uses or (os.path.exists(fname) and os.path.getsize(fname) > 0)
        if executed and uses and ("Examples using" not in html or not found):
            problems.append(f"API page {path}.{name}.html lacks its 'Examples using' links")
    if executed:
        for stem in sorted(set(scripts) - linked):
            problems.append(f"example {stem}.py is linked from no API page")
    return problems


def _check_site(app, exception):
    """Warn (``-W``: fail) on every miss :func:`site_problems` finds in the built site."""
    if exception is not None or app.builder.name != "html":
        return
    from sphinx.util import logging

    logger = logging.getLogger("sklearn_mle.docs")
    public = [pn for entries in _public_objects().values() for pn in entries]
    for problem in site_problems(app.outdir, app.srcdir, gallery_scripts(), public,
                                 executed=_RUN_EXAMPLES):
        logger.warning(problem)


def setup(app):
    app.connect("autodoc-skip-member", _skip_foreign_members)
    app.connect("build-finished", _check_site)
