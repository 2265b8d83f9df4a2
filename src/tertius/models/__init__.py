"""Forecasting models, registered by name. Importing this package registers them all."""

from tertius.models import bdm, central, exchange, nash  # noqa: F401  (registration side effect)
from tertius.models.registry import MODELS, ModelSpec, get_model, register, run_model

__all__ = ["MODELS", "ModelSpec", "get_model", "register", "run_model"]
