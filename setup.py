"""The compiled half of the CSV loader (everything else is in pyproject.toml).

``visualnn.services.datasets._fast_numbers`` parses files of plain numbers several times faster than Arrow can
(see ``fast_numbers.py``). It is optional: without a C compiler the install goes on, and the loader parses every
file with Arrow, as before, only slower.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "visualnn.services.datasets._fast_numbers",
            ["visualnn/services/datasets/_fast_numbers.c"],
            extra_compile_args=["-O2"],
            optional=True,
        )
    ]
)
