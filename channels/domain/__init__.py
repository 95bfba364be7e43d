"""The central system's rules, one module per OCPP feature: stations, transactions
(and the offline ones), authorization, smart charging, reservations, local lists,
firmware and diagnostics, configuration, passwords and their rotation, the commands
sent to stations with their hooks (`hook_table.py`), presence, people's tokens, audit.

Plain functions of a SQLAlchemy session: no channel, socket or web framework here.
"""
