from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Status(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ERROR: _ClassVar[Status]
    SUCCESS: _ClassVar[Status]
    FAILURE: _ClassVar[Status]
ERROR: Status
SUCCESS: Status
FAILURE: Status

class Env(_message.Message):
    __slots__ = ("url", "headers", "cstate", "istate")
    class HeadersEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class CstateEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class IstateEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    URL_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    CSTATE_FIELD_NUMBER: _ClassVar[int]
    ISTATE_FIELD_NUMBER: _ClassVar[int]
    url: str
    headers: _containers.ScalarMap[str, str]
    cstate: _containers.ScalarMap[str, str]
    istate: _containers.ScalarMap[str, str]
    def __init__(self, url: _Optional[str] = ..., headers: _Optional[_Mapping[str, str]] = ..., cstate: _Optional[_Mapping[str, str]] = ..., istate: _Optional[_Mapping[str, str]] = ...) -> None: ...

class EnvResponse(_message.Message):
    __slots__ = ("cstate", "istate")
    class CstateEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    class IstateEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    CSTATE_FIELD_NUMBER: _ClassVar[int]
    ISTATE_FIELD_NUMBER: _ClassVar[int]
    cstate: _containers.ScalarMap[str, str]
    istate: _containers.ScalarMap[str, str]
    def __init__(self, cstate: _Optional[_Mapping[str, str]] = ..., istate: _Optional[_Mapping[str, str]] = ...) -> None: ...

class PresenceResponse(_message.Message):
    __slots__ = ("type", "id", "info", "ttl")
    TYPE_FIELD_NUMBER: _ClassVar[int]
    ID_FIELD_NUMBER: _ClassVar[int]
    INFO_FIELD_NUMBER: _ClassVar[int]
    TTL_FIELD_NUMBER: _ClassVar[int]
    type: str
    id: str
    info: str
    ttl: int
    def __init__(self, type: _Optional[str] = ..., id: _Optional[str] = ..., info: _Optional[str] = ..., ttl: _Optional[int] = ...) -> None: ...

class ConnectionRequest(_message.Message):
    __slots__ = ("env",)
    ENV_FIELD_NUMBER: _ClassVar[int]
    env: Env
    def __init__(self, env: _Optional[_Union[Env, _Mapping]] = ...) -> None: ...

class ConnectionResponse(_message.Message):
    __slots__ = ("status", "identifiers", "transmissions", "error_msg", "env")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    IDENTIFIERS_FIELD_NUMBER: _ClassVar[int]
    TRANSMISSIONS_FIELD_NUMBER: _ClassVar[int]
    ERROR_MSG_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    status: Status
    identifiers: str
    transmissions: _containers.RepeatedScalarFieldContainer[str]
    error_msg: str
    env: EnvResponse
    def __init__(self, status: _Optional[_Union[Status, str]] = ..., identifiers: _Optional[str] = ..., transmissions: _Optional[_Iterable[str]] = ..., error_msg: _Optional[str] = ..., env: _Optional[_Union[EnvResponse, _Mapping]] = ...) -> None: ...

class CommandMessage(_message.Message):
    __slots__ = ("command", "identifier", "connection_identifiers", "data", "env")
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    IDENTIFIER_FIELD_NUMBER: _ClassVar[int]
    CONNECTION_IDENTIFIERS_FIELD_NUMBER: _ClassVar[int]
    DATA_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    command: str
    identifier: str
    connection_identifiers: str
    data: str
    env: Env
    def __init__(self, command: _Optional[str] = ..., identifier: _Optional[str] = ..., connection_identifiers: _Optional[str] = ..., data: _Optional[str] = ..., env: _Optional[_Union[Env, _Mapping]] = ...) -> None: ...

class CommandResponse(_message.Message):
    __slots__ = ("status", "disconnect", "stop_streams", "streams", "transmissions", "error_msg", "env", "stopped_streams", "presence")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    DISCONNECT_FIELD_NUMBER: _ClassVar[int]
    STOP_STREAMS_FIELD_NUMBER: _ClassVar[int]
    STREAMS_FIELD_NUMBER: _ClassVar[int]
    TRANSMISSIONS_FIELD_NUMBER: _ClassVar[int]
    ERROR_MSG_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    STOPPED_STREAMS_FIELD_NUMBER: _ClassVar[int]
    PRESENCE_FIELD_NUMBER: _ClassVar[int]
    status: Status
    disconnect: bool
    stop_streams: bool
    streams: _containers.RepeatedScalarFieldContainer[str]
    transmissions: _containers.RepeatedScalarFieldContainer[str]
    error_msg: str
    env: EnvResponse
    stopped_streams: _containers.RepeatedScalarFieldContainer[str]
    presence: PresenceResponse
    def __init__(self, status: _Optional[_Union[Status, str]] = ..., disconnect: _Optional[bool] = ..., stop_streams: _Optional[bool] = ..., streams: _Optional[_Iterable[str]] = ..., transmissions: _Optional[_Iterable[str]] = ..., error_msg: _Optional[str] = ..., env: _Optional[_Union[EnvResponse, _Mapping]] = ..., stopped_streams: _Optional[_Iterable[str]] = ..., presence: _Optional[_Union[PresenceResponse, _Mapping]] = ...) -> None: ...

class DisconnectRequest(_message.Message):
    __slots__ = ("identifiers", "subscriptions", "env")
    IDENTIFIERS_FIELD_NUMBER: _ClassVar[int]
    SUBSCRIPTIONS_FIELD_NUMBER: _ClassVar[int]
    ENV_FIELD_NUMBER: _ClassVar[int]
    identifiers: str
    subscriptions: _containers.RepeatedScalarFieldContainer[str]
    env: Env
    def __init__(self, identifiers: _Optional[str] = ..., subscriptions: _Optional[_Iterable[str]] = ..., env: _Optional[_Union[Env, _Mapping]] = ...) -> None: ...

class DisconnectResponse(_message.Message):
    __slots__ = ("status", "error_msg")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ERROR_MSG_FIELD_NUMBER: _ClassVar[int]
    status: Status
    error_msg: str
    def __init__(self, status: _Optional[_Union[Status, str]] = ..., error_msg: _Optional[str] = ...) -> None: ...
