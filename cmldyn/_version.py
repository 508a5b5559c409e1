"""The package version, in one place (read by pyproject via setuptools dynamic metadata)."""

__version__ = "0.1.0"
