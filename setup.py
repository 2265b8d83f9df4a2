"""The optional C kernel of a bdm round (src/tertius/models/_bdm_c.pyx); everything else is in
pyproject.toml. ``optional=True``: when Cython or a C compiler is missing, or the build fails,
the package installs without it and bdm's numpy path runs instead
(``tertius.models.bdm_kernel``). -O3 and no -march, no -ffast-math: the module runs on any x86-64
and keeps IEEE arithmetic in the source's order (no fused multiply-adds); no OpenMP. -O3 gives the
same bytes as -O2 and 4-7 % less CPU time (3,000 and 1,000 actors, one thread, A/B, load 1.3)."""

from setuptools import Extension, setup

try:
    from Cython.Build import cythonize
except ImportError:  # no Cython (a build without the build requirements): no C kernel
    extensions = []
else:
    try:
        extensions = cythonize(
            [Extension("tertius.models._bdm_c", ["src/tertius/models/_bdm_c.pyx"], optional=True,
                       extra_compile_args=["-O3"])],
            compiler_directives={"language_level": 3}, quiet=True)
        for extension in extensions:  # cythonize's copies drop the flag
            extension.optional = True
    except Exception as error:  # the .pyx does not translate: install without it, and say so
        print(f"warning: the C kernel of bdm is not built ({error}); bdm's numpy path runs")
        extensions = []

setup(ext_modules=extensions)
