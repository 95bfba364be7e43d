from ocpp_cable.contract.pb import rpc_pb2 as _rpc_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Call(_message.Message):
    __slots__ = ("tag", "sid", "connect", "command", "disconnect")
    TAG_FIELD_NUMBER: _ClassVar[int]
    SID_FIELD_NUMBER: _ClassVar[int]
    CONNECT_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    DISCONNECT_FIELD_NUMBER: _ClassVar[int]
    tag: int
    sid: str
    connect: _rpc_pb2.ConnectionRequest
    command: _rpc_pb2.CommandMessage
    disconnect: _rpc_pb2.DisconnectRequest
    def __init__(self, tag: _Optional[int] = ..., sid: _Optional[str] = ..., connect: _Optional[_Union[_rpc_pb2.ConnectionRequest, _Mapping]] = ..., command: _Optional[_Union[_rpc_pb2.CommandMessage, _Mapping]] = ..., disconnect: _Optional[_Union[_rpc_pb2.DisconnectRequest, _Mapping]] = ...) -> None: ...

class CallBatch(_message.Message):
    __slots__ = ("calls",)
    CALLS_FIELD_NUMBER: _ClassVar[int]
    calls: _containers.RepeatedCompositeFieldContainer[Call]
    def __init__(self, calls: _Optional[_Iterable[_Union[Call, _Mapping]]] = ...) -> None: ...

class Reply(_message.Message):
    __slots__ = ("tag", "connect", "command", "disconnect")
    TAG_FIELD_NUMBER: _ClassVar[int]
    CONNECT_FIELD_NUMBER: _ClassVar[int]
    COMMAND_FIELD_NUMBER: _ClassVar[int]
    DISCONNECT_FIELD_NUMBER: _ClassVar[int]
    tag: int
    connect: _rpc_pb2.ConnectionResponse
    command: _rpc_pb2.CommandResponse
    disconnect: _rpc_pb2.DisconnectResponse
    def __init__(self, tag: _Optional[int] = ..., connect: _Optional[_Union[_rpc_pb2.ConnectionResponse, _Mapping]] = ..., command: _Optional[_Union[_rpc_pb2.CommandResponse, _Mapping]] = ..., disconnect: _Optional[_Union[_rpc_pb2.DisconnectResponse, _Mapping]] = ...) -> None: ...

class ReplyBatch(_message.Message):
    __slots__ = ("replies",)
    REPLIES_FIELD_NUMBER: _ClassVar[int]
    replies: _containers.RepeatedCompositeFieldContainer[Reply]
    def __init__(self, replies: _Optional[_Iterable[_Union[Reply, _Mapping]]] = ...) -> None: ...
