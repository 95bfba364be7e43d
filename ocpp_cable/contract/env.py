"""Env headers the gateway writes for the application (AnyCable's env.headers)."""

REMOTE_ADDR_HEADER = "REMOTE_ADDR"
# The verified TLS client certificate's subject (RFC 4514), set only by the gateway.
TLS_CLIENT_SUBJECT_HEADER = "tls-client-subject"
# The gateway node holding the connection (its lease names it), set only by the gateway.
NODE_HEADER = "ocpp-cable-node"
# "actioncable" for a browser at the cable path, set only by the gateway (a station's
# env has none): the application tells browsers from stations by it.
CLIENT_PROTOCOL_HEADER = "ocpp-cable-client"
BROWSER = "actioncable"
# The OCPP subprotocol the gateway agreed with a station ("ocpp2.0.1"), set only by the
# gateway: the application tells the station's OCPP version by it.
SUBPROTOCOL_HEADER = "sec-websocket-protocol"
# Headers only the gateway writes: a client's own copy is dropped at the handshake.
GATEWAY_HEADERS = frozenset(
    {TLS_CLIENT_SUBJECT_HEADER, NODE_HEADER, CLIENT_PROTOCOL_HEADER, SUBPROTOCOL_HEADER}
)
