"""Code generated from proto/rpc.proto (`make proto`); imported by gateway and rpc_app."""

from ocpp_cable.pb import rpc_pb2, rpc_pb2_grpc

__all__ = ["rpc_pb2", "rpc_pb2_grpc"]
