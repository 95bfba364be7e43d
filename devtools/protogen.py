"""Generate the Python code for proto/rpc.proto into ocpp_cable/contract/pb.

The `-I<virtual>=<real>` mapping makes protoc write package-absolute imports
(`from ocpp_cable.contract.pb import rpc_pb2`), so the generated modules import cleanly
from anywhere.
"""

from __future__ import annotations

import sys
from pathlib import Path

from grpc_tools import protoc

ROOT = Path(__file__).resolve().parent.parent
PROTO_DIR = ROOT / "proto"
PACKAGE_PATH = "ocpp_cable/contract/pb"
PROTOS = ("rpc", "batch", "presence")
GENERATED = tuple(
    f"{name}{suffix}" for name in PROTOS for suffix in ("_pb2.py", "_pb2.pyi", "_pb2_grpc.py")
)


def generate(out_dir: Path) -> None:
    """Write the generated modules under out_dir/ocpp_cable/contract/pb."""
    # `import "ocpp_cable/contract/pb/rpc.proto"` in batch.proto resolves through the mapping below.
    (out_dir / PACKAGE_PATH).mkdir(parents=True, exist_ok=True)
    args = [
        "grpc_tools.protoc",
        f"-I{PACKAGE_PATH}={PROTO_DIR}",
        f"--python_out={out_dir}",
        f"--pyi_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *(f"{PACKAGE_PATH}/{name}.proto" for name in PROTOS),
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed on proto/rpc.proto")


def main() -> None:
    generate(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT)


if __name__ == "__main__":
    main()
