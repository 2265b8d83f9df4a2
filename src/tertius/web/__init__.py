"""``tertius serve``: a local web page to build a scenario, run the models and the third-party
analysis, and sweep perturbed inputs. The page calls the same public API as the command line
(:mod:`tertius.web.api`); the server (:mod:`tertius.web.app`) adds only transport and limits.

Needs the ``serve`` extra: ``pip install 'tertius[serve]'`` (Starlette, uvicorn and plotly, whose
package carries the plotly.js file the page draws its charts with).
"""

from __future__ import annotations

from tertius.io import require


def require_extra() -> None:
    """Refuse with a one-line error naming the extra when a web dependency is missing."""
    for module in ("starlette", "uvicorn", "plotly"):
        require(module, "serve the web page")
