"""How a command line ends: its failures become one line on stderr and an exit status.

Every failure the commands raise on purpose carries its `exit_code` (1: not found,
already there, could not be sent; 2: bad input); database and broker failures end
with 1, said without their statement's parameters (a password hash, an idTag).
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from ocpp_cable.rpc_app.broadcasting import BroadcastError


def exit_status(command: Callable[[], int]) -> int:
    """Run `command`; its exit status, or the failure's, said on stderr."""
    try:
        return command()
    except BroadcastError as exc:
        return _said(f"broadcast failed: {exc}", 1)
    except DBAPIError as exc:
        # exc.orig only: str(exc) carries the statement's parameters.
        return _said(f"database error: {exc.orig}", 1)
    except SQLAlchemyError as exc:
        return _said(f"database error: {type(exc).__name__}", 1)
    except Exception as exc:
        code = getattr(exc, "exit_code", None)
        if not isinstance(code, int):
            raise  # not a failure of the command's own: a bug, with its traceback
        return _said(str(exc), code)


def _said(message: str, code: int) -> int:
    print(f"ocpp-cable: {message}", file=sys.stderr)
    return code
