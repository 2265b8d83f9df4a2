"""Forecasting models, registered by name. Importing this package registers them all."""

from tertius.models import bdm, central, ensemble, exchange, nash, procedural  # noqa: F401  (registration)
from tertius.models.registry import MODELS, ModelSpec, get_model, register, run_model

__all__ = ["MODELS", "ModelSpec", "get_model", "register", "run_model"]
