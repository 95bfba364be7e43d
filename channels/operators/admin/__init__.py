"""The operator's tools for the central system: the admin commands of `ocpp-cable`
(stations, idTags, transactions, commands) and publishing a command to a station.

They work on the database and the brokers directly, so they run anywhere the
settings reach both; the HTTP API builds on the same functions.
"""
