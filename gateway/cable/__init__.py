"""Browsers on the gateway: the Action Cable protocol (`actioncable-v1-json`).

`session.py` is the protocol core without I/O, `socket.py` the asyncio shell
around one browser, `browsers.py` holds them all and pings them.
"""
