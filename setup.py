"""Build the optional C kernels (``sklearn_mle/_native``); metadata is in pyproject.toml.

The extension is optional: without a C compiler the package installs and runs on its
NumPy code paths, which give the same results more slowly.
"""

from Cython.Build import cythonize
from setuptools import Extension, setup

extensions = [
    Extension(
        "sklearn_mle._native._sums",
        ["sklearn_mle/_native/_sums.pyx"],
        include_dirs=["sklearn_mle/_native"],
        optional=True,
    )
]

setup(ext_modules=cythonize(extensions, compiler_directives={"language_level": 3}))
