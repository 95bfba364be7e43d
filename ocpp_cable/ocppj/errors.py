"""OCPP-J CALLERROR codes, as each version spells them.

OCPP-J 1.6 section 4.2.3 spells two codes differently from 2.0.1 and 2.1
(`FormationViolation`, `OccurenceConstraintViolation`); a charger expects the
spellings of the version it speaks, so each version has its own `ErrorCodes`.
"""

from __future__ import annotations

from dataclasses import dataclass

NOT_IMPLEMENTED = "NotImplemented"
NOT_SUPPORTED = "NotSupported"
INTERNAL_ERROR = "InternalError"
PROTOCOL_ERROR = "ProtocolError"
SECURITY_ERROR = "SecurityError"
FORMATION_VIOLATION = "FormationViolation"
PROPERTY_CONSTRAINT_VIOLATION = "PropertyConstraintViolation"
OCCURENCE_CONSTRAINT_VIOLATION = "OccurenceConstraintViolation"
TYPE_CONSTRAINT_VIOLATION = "TypeConstraintViolation"
GENERIC_ERROR = "GenericError"
# OCPP-J 2.0.1 and 2.1 (section 4.3): the corrected spellings and two new codes.
FORMAT_VIOLATION = "FormatViolation"
OCCURRENCE_CONSTRAINT_VIOLATION = "OccurrenceConstraintViolation"
MESSAGE_TYPE_NOT_SUPPORTED = "MessageTypeNotSupported"
RPC_FRAMEWORK_ERROR = "RpcFrameworkError"

_COMMON = frozenset(
    {
        NOT_IMPLEMENTED,
        NOT_SUPPORTED,
        INTERNAL_ERROR,
        PROTOCOL_ERROR,
        SECURITY_ERROR,
        PROPERTY_CONSTRAINT_VIOLATION,
        TYPE_CONSTRAINT_VIOLATION,
        GENERIC_ERROR,
    }
)
# The same error in the other versions' words: an application written for one
# version still answers a station of another in its own spelling.
_RESPELLED = {
    FORMATION_VIOLATION: FORMAT_VIOLATION,
    FORMAT_VIOLATION: FORMATION_VIOLATION,
    OCCURENCE_CONSTRAINT_VIOLATION: OCCURRENCE_CONSTRAINT_VIOLATION,
    OCCURRENCE_CONSTRAINT_VIOLATION: OCCURENCE_CONSTRAINT_VIOLATION,
    RPC_FRAMEWORK_ERROR: PROTOCOL_ERROR,
}


@dataclass(frozen=True, slots=True)
class ErrorCodes:
    """One version's error codes, and which of them answers each kind of fault."""

    all: frozenset[str]
    # A payload or value the version's JSON cannot hold, an unexpected property.
    format_violation: str
    # A required field missing, too few or too many items.
    occurrence_violation: str
    # A frame that is no valid RPC message (not an array, an unreadable id, ...).
    framework_error: str
    # The answer to an unknown message type id; None: it is ignored (OCPP-J 1.6 4.1.3).
    message_type_not_supported: str | None

    def spelled(self, code: str) -> str:
        """`code` in this version's spelling; GenericError for a code it does not have."""
        if code in self.all:
            return code
        respelled = _RESPELLED.get(code)
        return respelled if respelled in self.all else GENERIC_ERROR


OCPP16 = ErrorCodes(
    all=_COMMON | {FORMATION_VIOLATION, OCCURENCE_CONSTRAINT_VIOLATION},
    format_violation=FORMATION_VIOLATION,
    occurrence_violation=OCCURENCE_CONSTRAINT_VIOLATION,
    framework_error=PROTOCOL_ERROR,
    message_type_not_supported=None,
)
OCPP2 = ErrorCodes(
    all=_COMMON
    | {
        FORMAT_VIOLATION,
        OCCURRENCE_CONSTRAINT_VIOLATION,
        MESSAGE_TYPE_NOT_SUPPORTED,
        RPC_FRAMEWORK_ERROR,
    },
    format_violation=FORMAT_VIOLATION,
    occurrence_violation=OCCURRENCE_CONSTRAINT_VIOLATION,
    framework_error=RPC_FRAMEWORK_ERROR,
    message_type_not_supported=MESSAGE_TYPE_NOT_SUPPORTED,
)
OCPP16_ERROR_CODES = OCPP16.all

# Codes the gateway performs on the channel (never sent on the wire) when one
# of our outgoing CALLs cannot be delivered or answered.
TIMEOUT = "Timeout"
QUEUE_FULL = "QueueFull"
NOT_CONNECTED = "NotConnected"
