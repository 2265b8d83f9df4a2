"""Files in and out: explicit decoding with located errors, atomic writes with the umask's mode,
and file names that are safe whatever a scenario's id says.

Every command writes through :func:`write_text_atomic` or :func:`write_atomic`: the content goes
to a temporary file beside the target, gets the permissions a new file gets under the process's
umask (``tempfile.mkstemp`` alone would leave 0600), and is renamed over the target, so a reader
never sees a half-written file and a failure leaves nothing behind.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path

from tertius.errors import InputError

#: The largest input file tertius reads (bytes).
MAX_INPUT_BYTES = 64 * 2**20


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def write_atomic(path: str | Path, write: Callable[[str], None]) -> None:
    """Call ``write(temporary_path)`` and rename the result over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name[:40]}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text_atomic(path: str | Path, text: str) -> None:
    """Write UTF-8 text atomically (see the module docstring)."""
    data = text.encode("utf-8", "backslashreplace")  # a lone surrogate cannot break the write

    def write(tmp: str) -> None:
        with open(tmp, "wb") as f:
            f.write(data)

    write_atomic(path, write)


def read_bytes(path: str | Path, max_bytes: int = MAX_INPUT_BYTES) -> bytes:
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise InputError(f"the file is {size:,} bytes, more than tertius reads ({max_bytes:,})", file=str(path),
                             fix="split it, or check that it is the right file")
        return path.read_bytes()
    except IsADirectoryError:
        raise InputError("this is a folder, not a file", file=str(path), fix="give the path of a file") from None
    except OSError as e:
        raise InputError(f"cannot read the file ({e.strerror or e})", file=str(path), fix="check the path") from None


def read_text(path: str | Path, fallback: str | None = None) -> str:
    """The file decoded as UTF-8 (a byte-order mark is dropped). A file that is not UTF-8 is
    refused with the offset of its first bad byte, unless ``fallback`` names an encoding to try."""
    data = read_bytes(path)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        if fallback is not None:
            return data.decode(fallback)
        raise InputError(f"not UTF-8 text: byte {e.start} is 0x{data[e.start]:02x}", file=str(path),
                         fix="save the file as UTF-8") from None
    if "\x00" in text:
        raise InputError(f"a NUL byte at character {text.index(chr(0))}: this looks like a binary file",
                         file=str(path), fix="give a text file")
    return text


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def slug(text: str, limit: int = 80) -> str:
    """A file-name-safe form of an id: letters, digits, '.', '_' and '-' only, no leading dot,
    at most ``limit`` characters (never empty)."""
    s = _UNSAFE.sub("-", text).strip("-.")[:limit].strip("-.")
    return s or "scenario"


__all__ = ["MAX_INPUT_BYTES", "read_bytes", "read_text", "slug", "write_atomic", "write_text_atomic"]
