"""A port a server could not listen on, said the way an operator fixes it: which
server, which address, which setting moves it.

The libraries say it each their own way (asyncio "[Errno 98] error while attempting to
bind on address ('127.0.0.1', 9000)", a bare "[Errno 98] Address already in use" from
the metrics server, gRPC "Failed to bind to address"): `listening` turns each into one
ListenError, which the CLI prints without a traceback.
"""

from __future__ import annotations

import errno
from collections.abc import Iterator
from contextlib import contextmanager

WHY = {
    errno.EADDRINUSE: "in use by another process (is ocpp-cable already running?)",
    errno.EACCES: "not allowed (a port below 1024 needs privileges)",
    errno.EADDRNOTAVAIL: "not an address of this machine",
}


class ListenError(OSError):
    """A server could not listen where its settings said."""

    def __str__(self) -> str:
        return str(self.strerror)


@contextmanager
def listening(what: str, address: str, setting: str) -> Iterator[None]:
    """Bind within: a failure to is a ListenError naming `what` (the server), `address`
    (host:port) and `setting` (the flag that changes it)."""
    try:
        yield
    except ListenError:
        raise
    except OSError as exc:
        why = WHY.get(exc.errno, exc.strerror or str(exc))
        raise ListenError(exc.errno, _said(what, address, setting, why)) from None
    except RuntimeError as exc:
        # gRPC's bind failure carries no errno; the port may be taken or not ours.
        if "bind" not in str(exc).lower():
            raise
        raise ListenError(
            errno.EADDRINUSE, _said(what, address, setting, "in use, or not ours to take")
        ) from None


def _said(what: str, address: str, setting: str, why: str) -> str:
    return f"{what} cannot listen on {address}: {why}; choose another with {setting}"
