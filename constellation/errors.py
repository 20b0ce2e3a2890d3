"""Exceptions shared across the package."""

from __future__ import annotations

__all__ = ["ConstellationError", "ElementSetError", "is_input_error"]


class ConstellationError(Exception):
    """Base class of the package's own errors."""


class ElementSetError(ConstellationError, ValueError):
    """An element set could not be read: says which file, which line, which field, what was found and
    what was expected.  Raised by the readers in :mod:`constellation.elements`.
    """

    def __init__(self, message: str, *, path: str = "", line: int | None = None, field: str = "",
                 found: str = "", expected: str = ""):
        self.path, self.line, self.field, self.found, self.expected = path, line, field, found, expected
        where = f"{path}:{line}: " if line is not None else (f"{path}: " if path else "")
        super().__init__(where + message)


def is_input_error(exc: BaseException) -> bool:
    """Whether ``exc`` means bad input (exit code 2) rather than a failure while running (exit code 1)."""
    return isinstance(exc, (ElementSetError, FileNotFoundError, IsADirectoryError, ValueError))
