"""The library's loggers: structlog, imported on the first log call rather than on import.

Why: importing structlog imports ``rich`` when it is installed (for its console renderer), and
``import ocop_cycle`` must stay light for hosts. The library only gets loggers and binds
context; configuring output is the host's, or the CLI's and the daemon's.
"""

from __future__ import annotations

from typing import Any

__all__ = ["get_logger"]


class _LazyLogger:
    """Forwards every call to ``structlog.get_logger(name)``, made on first use."""

    __slots__ = ("_logger", "_name")

    def __init__(self, name: str) -> None:
        self._name = name
        self._logger: Any = None

    def __getattr__(self, method: str) -> Any:
        logger = self._logger
        if logger is None:
            import structlog

            # structlog's own proxy reads the configuration when it is used, so a host that
            # configures structlog after importing ocop_cycle is still obeyed.
            logger = self._logger = structlog.get_logger(self._name)
        return getattr(logger, method)


def get_logger(name: str) -> Any:
    """A structlog logger named ``name`` that imports structlog only when it first logs."""
    return _LazyLogger(name)
