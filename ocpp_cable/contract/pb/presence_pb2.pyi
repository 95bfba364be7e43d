from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class Lease(_message.Message):
    __slots__ = ("node", "ttl", "stations")
    NODE_FIELD_NUMBER: _ClassVar[int]
    TTL_FIELD_NUMBER: _ClassVar[int]
    STATIONS_FIELD_NUMBER: _ClassVar[int]
    node: str
    ttl: float
    stations: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, node: _Optional[str] = ..., ttl: _Optional[float] = ..., stations: _Optional[_Iterable[str]] = ...) -> None: ...

class LeaseReply(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...
