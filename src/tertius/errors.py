"""User-facing errors: one line that names the file, the place in it, and the fix.

Every error a user can cause by writing a bad scenario or calling a command badly is an
:class:`InputError`. The CLI prints ``str(error)`` on one line and exits with status 2; it
never prints a traceback for these.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

Path = tuple[str | int, ...]

#: Where a bad model parameter comes from, for :class:`InputError`'s ``file``.
PARAMS = "model parameters (-p/--param)"


def format_path(path: Sequence[str | int]) -> str:
    """Render a field path the way a user reads it: ``stances[3].position``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


class TertiusError(Exception):
    """Base class for errors that the CLI reports as one line without a traceback."""


class ScenarioProblem(Exception):
    """A semantic problem found while validating a scenario.

    It is not a ``ValueError`` on purpose: pydantic lets it through unwrapped, so the loader
    can attach the file name and the YAML line to the exact field path.
    """

    def __init__(self, path: Sequence[str | int], message: str, fix: str = "") -> None:
        super().__init__(message)
        self.path: Path = tuple(path)
        self.message = message
        self.fix = fix


class InputError(TertiusError):
    """A problem with user input, located as precisely as the format allows."""

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        path: Sequence[str | int] = (),
        fix: str = "",
    ) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.path: Path = tuple(path)
        self.fix = fix
        super().__init__(str(self))

    def __str__(self) -> str:
        # without a file the message names what is wrong (a command-line option, a scenario id)
        text = ""
        if self.file:
            text = self.file + (f":{self.line}" if self.line is not None else "") + ": "
        if self.path:
            text += f"{format_path(self.path)}: "
        text += self.message
        if self.fix:
            text += f" (fix: {self.fix})"
        return " ".join(text.split())


def require(module: str, purpose: str) -> Any:
    """Import an optional dependency, or refuse in one line naming the extra that installs it."""
    extras = {"openpyxl": "tertius", "pyarrow": "tertius[parquet]", "distributed": "tertius[dask]",
              "starlette": "tertius[serve]", "uvicorn": "tertius[serve]", "plotly": "tertius[serve]",
              "numba": "tertius[fast]"}
    try:
        return __import__(module)
    except ImportError:
        raise InputError(f"to {purpose} tertius needs the package '{module}'",
                         fix=f"pip install '{extras.get(module, module)}'") from None
