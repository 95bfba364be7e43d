"""What stations send, and who may connect: the channel class that handles every
charger-initiated OCPP action (`ocpp_channel.py`, 1.6 in the class itself, 2.0.1 and
2.1 in `ocpp2/`), and the connection class that admits a station (`connection.py`).

Handlers decide what to answer and hand the work to the domain (`channels.domain`),
whose writes go through one unit of work (`channels.storage.store`).
"""
