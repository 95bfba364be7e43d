"""OCPP-J 1.6 CALLERROR codes, with the 1.6 spellings.

OCPP-J 1.6 section 4.2.3 spells two codes differently from 2.0.1
(`FormationViolation`, `OccurenceConstraintViolation`); a 1.6 charger expects
these spellings, so they are kept as the specification writes them.
"""

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

OCPP16_ERROR_CODES = frozenset(
    {
        NOT_IMPLEMENTED,
        NOT_SUPPORTED,
        INTERNAL_ERROR,
        PROTOCOL_ERROR,
        SECURITY_ERROR,
        FORMATION_VIOLATION,
        PROPERTY_CONSTRAINT_VIOLATION,
        OCCURENCE_CONSTRAINT_VIOLATION,
        TYPE_CONSTRAINT_VIOLATION,
        GENERIC_ERROR,
    }
)

# Codes the gateway performs on the channel (never sent on the wire) when one
# of our outgoing CALLs cannot be delivered or answered.
TIMEOUT = "Timeout"
QUEUE_FULL = "QueueFull"
NOT_CONNECTED = "NotConnected"
