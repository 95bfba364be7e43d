"""Control-flow signals raised by application code."""


class Rejected(Exception):
    """Raised by `reject()`: the connection or subscription is refused."""
