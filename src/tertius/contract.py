"""The former home of :class:`~tertius.forecast.Forecast` and the utility functions, kept so that
``from tertius.contract import Forecast`` (its home up to 0.2.0)
still works. New code imports from :mod:`tertius.forecast`."""

from tertius.forecast import Column, Forecast, Line, closeness, utilities

__all__ = ["Column", "Forecast", "Line", "closeness", "utilities"]
