"""structlog set-up: one event per line, JSON for machines, console for people."""

from __future__ import annotations

import logging
import sys

import structlog

# Keys whose values never reach a log line, wherever they appear.
SECRET_KEYS = frozenset({"authorization", "password", "broadcast_key", "secret"})


def _mask_secrets(_logger, _name, event_dict):
    for key in SECRET_KEYS.intersection(event_dict):
        event_dict[key] = "[masked]"
    return event_dict


def configure(level: str = "info", fmt: str = "auto") -> None:
    if fmt == "auto":
        fmt = "console" if sys.stderr.isatty() else "json"
    renderer = (
        structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
        if fmt == "console"
        else structlog.processors.JSONRenderer()
    )
    processors = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _mask_secrets,
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info if fmt == "json" else _noop,
        renderer,
    ]
    structlog.configure(
        processors=[p for p in processors if p is not _noop],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]
        ),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
    # Libraries that use stdlib logging (grpc, websockets, aiohttp) stay quiet
    # unless something is wrong.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(name)s %(message)s")


def _noop(_logger, _name, event_dict):
    return event_dict
