"""Raw WebSocket upgrade requests, for clients that break the rules on purpose."""

from __future__ import annotations

import base64

KEY = base64.b64encode(b"0123456789abcdef").decode()


def upgrade(path: str, *headers: tuple[str, str], host: str | None = "127.0.0.1") -> bytes:
    lines = [f"GET {path} HTTP/1.1"]
    if host is not None:
        lines.append(f"Host: {host}")
    lines += [
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {KEY}",
        "Sec-WebSocket-Version: 13",
        "Sec-WebSocket-Protocol: ocpp1.6",
    ]
    lines += [f"{name}: {value}" for name, value in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()
