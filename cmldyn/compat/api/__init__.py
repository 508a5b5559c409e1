"""``cmlapi.api``: where the generated client keeps its service class. May import: compat."""

from .cml_service_api import CMLServiceApi

__all__ = ["CMLServiceApi"]
