"""Code generated from proto/*.proto (`make proto`); imported by gateway and rpc_app."""

from ocpp_cable.contract.pb import batch_pb2, batch_pb2_grpc, rpc_pb2, rpc_pb2_grpc

__all__ = ["batch_pb2", "batch_pb2_grpc", "rpc_pb2", "rpc_pb2_grpc"]
