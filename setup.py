"""Build the optional C kernels (``sklearn_mle/_native``); metadata is in pyproject.toml.

The extension is optional: without a C compiler the package installs and runs on its
NumPy code paths, which give the same results more slowly.
"""

from Cython.Build import cythonize
from setuptools import Extension, setup

extensions = cythonize(
    [
        Extension(
            "sklearn_mle._native._sums",
            ["sklearn_mle/_native/_sums.pyx"],
            include_dirs=["sklearn_mle/_native"],
        ),
        Extension("sklearn_mle._native._hmm", ["sklearn_mle/_native/_hmm.pyx"]),
    ],
    compiler_directives={"language_level": 3},
)
for ext in extensions:
    ext.optional = True  # a failed compile leaves the NumPy paths (cythonize drops it)

setup(ext_modules=extensions)
