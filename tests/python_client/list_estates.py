"""A client another department might write: generated from proto/ alone with grpcio-tools.

Usage: list_estates.py PROTO_DIR ADDRESS TOKEN TOWN
Prints the number of estates of TOWN, walking every page, and the services reflection lists.
"""
import importlib
import importlib.resources
import sys
import tempfile

import grpc
from grpc_tools import protoc


def generate(proto_dir: str, out_dir: str) -> None:
    # The labels are custom options on google.protobuf.EnumValueOptions: protoc needs the
    # well-known protos, which grpcio-tools ships.
    well_known = str(importlib.resources.files("grpc_tools") / "_proto")
    for proto in ("wuguan/common/v1/labels.proto", "wuguan/common/v1/common.proto", "wuguan/registry/v1/registry.proto"):
        code = protoc.main(
            ["protoc", f"-I{proto_dir}", f"-I{well_known}", f"--python_out={out_dir}", f"--grpc_python_out={out_dir}", proto]
        )
        if code != 0:
            raise SystemExit(f"protoc failed on {proto}")


def main() -> None:
    proto_dir, address, token, town = sys.argv[1:5]
    out_dir = tempfile.mkdtemp(prefix="wuguan-py-")
    generate(proto_dir, out_dir)
    sys.path.insert(0, out_dir)
    registry_pb2 = importlib.import_module("wuguan.registry.v1.registry_pb2")
    registry_grpc = importlib.import_module("wuguan.registry.v1.registry_pb2_grpc")
    common_pb2 = importlib.import_module("wuguan.common.v1.common_pb2")

    channel = grpc.insecure_channel(address)
    stub = registry_grpc.RegistryServiceStub(channel)
    metadata = [("authorization", f"Bearer {token}")]
    count, page_token = 0, ""
    while True:
        request = registry_pb2.ListEstatesRequest(
            town=town, page=common_pb2.PageRequest(page_size=25, page_token=page_token)
        )
        response = stub.ListEstates(request, metadata=metadata, timeout=10)
        count += len(response.estates)
        page_token = response.page.next_page_token
        if not page_token:
            break
    summary = stub.GetTownSummary(registry_pb2.GetTownSummaryRequest(town=town), metadata=metadata, timeout=10)
    print(f"estates={count} residents={summary.residents}")
    print("services=" + ",".join(reflected_services(channel)))


def reflected_services(channel) -> list:
    """The services the port lists over reflection: grpcio-reflection speaks v1alpha only."""
    from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    request = reflection_pb2.ServerReflectionRequest(list_services="")
    responses = stub.ServerReflectionInfo(iter([request]), timeout=10)
    names = [service.name for response in responses for service in response.list_services_response.service]
    return sorted(names)


if __name__ == "__main__":
    main()
