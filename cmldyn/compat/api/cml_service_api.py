"""``cmlapi.api.cml_service_api``: ``CMLServiceApi`` where the generated client defines it. May import: compat."""

from .. import CMLServiceApi

__all__ = ["CMLServiceApi"]
