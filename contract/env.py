"""Env headers the gateway writes for the application (AnyCable's env.headers)."""

REMOTE_ADDR_HEADER = "REMOTE_ADDR"
# The verified TLS client certificate's subject (RFC 4514), set only by the gateway.
TLS_CLIENT_SUBJECT_HEADER = "tls-client-subject"
# The gateway node holding the connection (its lease names it), set only by the gateway.
NODE_HEADER = "ocpp-cable-node"
# Headers only the gateway writes: a client's own copy is dropped at the handshake.
GATEWAY_HEADERS = frozenset({TLS_CLIENT_SUBJECT_HEADER, NODE_HEADER})
