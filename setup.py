"""The optional C part of the matcher (bot/core/_kernel.c); everything else is in pyproject.toml.

`optional=True`: without a C compiler the install goes on and the matcher uses numpy alone
(the same results, about a third slower per question).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "bot.core._kernel",
            sources=["bot/core/_kernel.c"],
            optional=True,
            extra_compile_args=["-O2", "-ffp-contract=off"],
        )
    ]
)
