"""The version of tertius: one place, read by the package, the saved results and pyproject.toml."""

__version__ = "0.2.0"
