"""The library's loggers: quiet unless the host configured logging.

The library only gets loggers and binds context; configuring output is the host's, or the CLI's
and the daemon's. Where the records go is decided at each call:

* a host (or the CLI) that called ``structlog.configure`` gets them through its structlog
  configuration;
* otherwise they go to the standard library's ``logging`` under the ``ocop_cycle`` logger, which
  carries a ``NullHandler`` (the convention for libraries): an unconfigured host sees nothing on
  stdout or stderr, and a host that configured ``logging`` (``basicConfig``, uvicorn, Django...)
  gets them at the levels it chose, the structured fields in ``record.ocop_cycle``.

structlog's own default would print every info line on stdout, which is why the library never
uses it unconfigured. structlog is imported on the first log call rather than on import: it
imports ``rich`` when installed, and ``import ocop_cycle`` must stay light.
"""

from __future__ import annotations

import logging
from collections.abc import MutableMapping
from typing import Any

__all__ = ["ROOT", "get_logger"]

#: The standard-library logger every ocop-cycle logger sits under.
ROOT = "ocop_cycle"


def _to_stdlib(_logger: Any, _method: str, event_dict: MutableMapping[str, Any]) -> Any:
    """structlog's last processor: the event as one readable message, its fields as ``extra``."""
    fields = dict(event_dict)
    event = fields.pop("event", "")
    exc_info = fields.pop("exc_info", None)
    text = " ".join([str(event), *(f"{key}={value}" for key, value in sorted(fields.items()))])
    kwargs: dict[str, Any] = {"msg": text, "extra": {"ocop_cycle": {"event": event, **fields}}}
    if exc_info:
        kwargs["exc_info"] = exc_info
    return kwargs


def _stdlib_logger(name: str) -> Any:
    import structlog

    root = logging.getLogger(ROOT)
    if not any(isinstance(h, logging.NullHandler) for h in root.handlers):
        # Without a handler anywhere on its path, logging's last resort prints warnings on
        # stderr: the NullHandler stops that, and propagation to the host's handlers goes on.
        root.addHandler(logging.NullHandler())
    return structlog.wrap_logger(
        logging.getLogger(name),
        # filter_by_level first: below the host's level nothing else runs (the write path logs
        # every command at info).
        processors=[
            structlog.stdlib.filter_by_level,
            structlog.contextvars.merge_contextvars,
            _to_stdlib,
        ],
        wrapper_class=structlog.stdlib.BoundLogger,
    )


class _LazyLogger:
    """A logger named ``name``: the host's structlog configuration if it made one, else the
    standard library's ``logging`` (quiet by default); chosen at each call."""

    __slots__ = ("_configured", "_name", "_quiet")

    def __init__(self, name: str) -> None:
        self._name = name
        self._configured: Any = None
        self._quiet: Any = None

    def __getattr__(self, method: str) -> Any:
        return getattr(self._now(), method)

    def _now(self) -> Any:
        """The logger to call now (the host may configure structlog at any time)."""
        import structlog

        if structlog.is_configured():
            if self._configured is None:
                # structlog's own proxy reads the configuration when it is used, so a host
                # that configures structlog after importing ocop_cycle is still obeyed.
                self._configured = structlog.get_logger(self._name)
            return self._configured.bind()
        if self._quiet is None:
            # Bound once: its processors and wrapper are ours and never change.
            self._quiet = _stdlib_logger(self._name).bind()
        return self._quiet

    def at(self, level: int) -> Any | None:
        """The logger to call now for a record at ``level``, or None when that record would be
        dropped unseen anyway. Why: the write path logs every command at info, and building
        its fields costs more than the rest of the call when the host filters info out. Only
        a filter that runs before any of the host's processors counts: a processor may want
        every record (``structlog.testing.capture_logs``, an error tracker)."""
        import structlog

        if structlog.is_configured():
            # structlog's filtering loggers (make_filtering_bound_logger) drop below a level
            # fixed in their class: asked once per class and level, without building a logger.
            wrapper = structlog.get_config()["wrapper_class"]
            if wrapper.__module__ == "structlog._native":
                dropped = _FILTERING.get((wrapper, level))
                if dropped is None:
                    dropped = _FILTERING[wrapper, level] = _drops(self._now(), level)
                return None if dropped else self._now()
        logger = self._now()
        if logger is self._quiet:
            # filter_by_level is our first processor: it drops what logging would not write.
            return logger if logging.getLogger(self._name).isEnabledFor(level) else None
        return None if _drops(logger, level) else logger


#: Whether a structlog filtering logger class drops records at a level (its level is part of
#: the class: ``make_filtering_bound_logger`` makes one class per level).
_FILTERING: dict[tuple[type, int], bool] = {}


def _drops(logger: Any, level: int) -> bool:
    """Whether the host's structlog ``logger`` drops a record at ``level`` before its
    processors see it (when it cannot tell: no)."""
    import structlog

    try:
        if isinstance(logger, structlog.stdlib.BoundLogger):
            # Its level is the standard library logger's, which only filter_by_level applies.
            processors = structlog.get_config()["processors"]
            return structlog.stdlib.filter_by_level in processors and not logger.isEnabledFor(level)
        # structlog's filtering loggers (make_filtering_bound_logger) drop below their level;
        # looked up on the class: a BoundLogger would make a log call of a missing name.
        check = getattr(type(logger), "is_enabled_for", None)
        return check is not None and not check(logger, level)
    except Exception:  # a wrapper around a logger without levels: let it log
        return False


def get_logger(name: str) -> Any:
    """A logger named ``name`` (under ``ocop_cycle``) that imports structlog only when it first
    logs, and writes nothing unless the host configured logging."""
    return _LazyLogger(name)
