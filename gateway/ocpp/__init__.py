"""The gateway's OCPP protocol core: a station's session as a state machine without I/O.

A second protocol (Action Cable for browsers) or another OCPP version gets a
package of its own beside this one.
"""
