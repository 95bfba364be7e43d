"""The installed ocpp-cable's version, for the OpenAPI document and /status."""

from __future__ import annotations

import functools
from importlib.metadata import PackageNotFoundError, version


@functools.cache
def package_version() -> str:
    try:
        return version("ocpp-cable")
    except PackageNotFoundError:  # run from a checkout that was never installed
        return "0+unknown"
