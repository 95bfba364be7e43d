"""structlog set-up: one event per line, JSON for machines, console for people.

The libraries' stdlib log records (grpc, websockets, aiohttp, asyncio) go through
the same processors, so every line, theirs included, is one event with no secret.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import Any

import orjson
import structlog

from ocpp_cable.foundation.redact import mask_secrets

# Keys whose values never reach a log line, wherever they appear.
SECRET_KEYS = frozenset({"authorization", "password", "broadcast_key", "secret"})


def _mask_secrets(_logger, _name, event_dict):
    for key in SECRET_KEYS.intersection(event_dict):
        event_dict[key] = "[masked]"
    # Any text can carry a URL with a password: error messages, tracebacks, settings.
    for key, value in event_dict.items():
        if isinstance(value, str):
            event_dict[key] = mask_secrets(value)
    return event_dict


def _json_line(event_dict: dict[str, Any], **_kw: Any) -> str:
    # orjson: a quarter of the stdlib's time per line, on paths that log every message.
    # What it cannot write (integers beyond 64 bits, odd keys) goes through json.
    try:
        return orjson.dumps(event_dict, default=repr).decode()
    except TypeError:
        return json.dumps(event_dict, default=repr)


def configure(level: str = "info", fmt: str = "auto") -> None:
    if fmt == "auto":
        fmt = "console" if sys.stderr.isatty() else "json"
    renderer: Any = (
        structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
        if fmt == "console"
        else structlog.processors.JSONRenderer(serializer=_json_line)
    )
    # Tracebacks become text before masking, in both formats.
    shared = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
        structlog.processors.format_exc_info,
        _mask_secrets,
    ]
    structlog.configure(
        processors=[*shared, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]
        ),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
        cache_logger_on_first_use=True,
    )
    # Libraries that use stdlib logging stay quiet unless something is wrong.
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *shared],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)
