"""The file of a multipart/form-data body, read as it arrives: nothing held but a part's
headers (bounded) and less than one boundary's length of its data.

The file is the first part that is one: a `file` field, or any part with a filename
(stations name the field differently). The other parts are skipped unread.
"""

from __future__ import annotations

import re
from email.message import Message

MAX_HEADERS = 16 * 1024
_BOUNDARY = re.compile(r'boundary="?([^";]{1,70})"?', re.I)


class MultipartError(ValueError):
    """The body is not the multipart/form-data its Content-Type says, or holds no file."""


def boundary_of(content_type: str) -> bytes | None:
    """The boundary of a multipart/form-data Content-Type; None for any other type."""
    if not content_type.lower().startswith("multipart/form-data"):
        return None
    found = _BOUNDARY.search(content_type)
    if found is None:
        raise MultipartError("multipart/form-data without a boundary")
    return found.group(1).encode("latin-1")


def _disposition(headers: bytes) -> tuple[str | None, str | None]:
    """(the field's name, its filename) from a part's headers."""
    message = Message()
    for line in headers.decode("latin-1").split("\r\n"):
        name, sep, value = line.partition(":")
        if sep:
            message[name.strip()] = value.strip()
    name = message.get_param("name", header="content-disposition")
    return (name if isinstance(name, str) else None), message.get_filename()


class FilePart:
    """Feed it the body's chunks; it hands back the file part's data as it is found."""

    def __init__(self, boundary: bytes) -> None:
        self._delimiter = b"\r\n--" + boundary
        self._buffer = b"\r\n"  # so the first delimiter reads as every later one
        self._state = "preamble"  # preamble, headers, data, skip, done
        self.filename: str | None = None
        self.found = False

    def feed(self, chunk: bytes) -> list[bytes]:
        self._buffer += chunk
        out: list[bytes] = []
        while self._step(out):
            pass
        return out

    def finish(self) -> None:
        """The body ended: was the file there, and whole?

        Raises:
            MultipartError: it was not.
        """
        if not self.found:
            raise MultipartError("no file part (a `file` field, or a part with a filename)")
        if self._state != "done":
            raise MultipartError("the multipart body ends inside its file part")

    def _step(self, out: list[bytes]) -> bool:
        """One move through the buffer; False when it needs more bytes."""
        if self._state == "done":
            self._buffer = b""
            return False
        if self._state == "headers":
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self._buffer) > MAX_HEADERS:
                    raise MultipartError("a part's headers are too long")
                return False
            name, filename = _disposition(self._buffer[:end])
            self._buffer = self._buffer[end + 4 :]
            if not self.found and (name == "file" or filename):
                self.found, self.filename, self._state = True, filename, "data"
            else:
                self._state = "skip"
            return True
        at = self._buffer.find(self._delimiter)
        if at < 0:
            # Keep what may be the start of a delimiter; the rest is data (or skipped).
            keep = len(self._delimiter) - 1
            if self._state == "data" and len(self._buffer) > keep:
                out.append(self._buffer[:-keep])
            self._buffer = self._buffer[-keep:]
            return False
        if len(self._buffer) < at + len(self._delimiter) + 2:
            return False  # after the delimiter: "--" (the end) or CRLF (another part)
        if self._state == "data":
            out.append(self._buffer[:at])
            self._state = "done"
            return True
        rest = self._buffer[at + len(self._delimiter) :]
        if rest.startswith(b"--"):
            self._state = "done"
        else:
            self._state = "headers"
            rest = rest[rest.find(b"\r\n") + 2 :] if b"\r\n" in rest else rest[2:]
        self._buffer = rest
        return True
