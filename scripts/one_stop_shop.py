#!/usr/bin/python3
"""A stand-in for the province's one-stop-shop software: calls taichod over gRPC from Python
(Debian's python3-grpcio), as software in another language would. Stubs are generated from
proto/ with protoc and grpc_python_plugin into a temp dir at start.

  one_stop_shop.py --target HOST:PORT --pki DIR [--client client-intake] create DOSSIER
      creates the sample decision (render/samples, number and date left to the issue step);
      prints the document name
  one_stop_shop.py … seal NAME      seals with the server's key "serverKeys/seal" (SignDocument)
  one_stop_shop.py … download NAME OUT.pdf
  one_stop_shop.py … withdraw NAME REASON
      withdraws (thu hồi) a sealed or issued document: its register number stays, marked
      withdrawn with the reason (WithdrawDocument; roles intake and seal-clerk)

Also imported by tests/python/intake_client.py.
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

# The source tree (this file in scripts/), or share/taicho when installed (in share/taicho/demo/):
# proto/ is in both; the sample data is render/samples/ there, samples/ here.
SOURCE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLES = os.path.join(SOURCE, "render/samples")
if not os.path.isdir(SAMPLES):
    SAMPLES = os.path.join(SOURCE, "samples")
BUILT_IN = {"agency", "number", "symbol", "place", "date", "type", "summary", "articles",
            "fields", "recipients", "signer", "verification"}


def generate_stubs():
    """Generates the taicho.v1 Python modules and puts them on sys.path."""
    out = tempfile.mkdtemp(prefix="taicho-py-")
    proto_root = os.path.join(SOURCE, "proto")
    files = sorted(os.path.join("taicho/v1", f)
                   for f in os.listdir(os.path.join(proto_root, "taicho/v1"))
                   if f.endswith(".proto"))
    subprocess.run(["protoc", "--proto_path=" + proto_root, "--python_out=" + out,
                    "--grpc_python_out=" + out,
                    "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin", *files],
                   check=True)
    sys.path.insert(0, out)


def sample_data():
    """render/samples/quyet-dinh-ubnd.json as DocumentData, without the number and date (the
    system gives them at issue); keys render/ does not know by name go to texts and lists."""
    from google.protobuf import json_format
    from taicho.v1 import document_data_pb2
    with open(os.path.join(SAMPLES, "quyet-dinh-ubnd.json"), encoding="utf-8") as f:
        sample = json.load(f)
    out = {"texts": {}, "lists": {}}
    for key, value in sample.items():
        if key in ("number", "date"):
            continue
        if key in BUILT_IN:
            out[key] = value
        elif isinstance(value, str):
            out["texts"][key] = value
        else:
            out["lists"][key] = {"values": value}
    return json_format.ParseDict(out, document_data_pb2.DocumentData())


def connect(target, pki, client):
    """A DocumentService stub over mutual TLS with the sample PKI's client certificate."""
    import grpc
    from taicho.v1 import document_service_pb2_grpc

    def read(name):
        with open(os.path.join(pki, name), "rb") as f:
            return f.read()

    credentials = grpc.ssl_channel_credentials(
        root_certificates=read("root.pem"), private_key=read(client + ".key"),
        certificate_chain=read(client + ".chain.pem"))
    channel = grpc.secure_channel(target, credentials,
                                  options=[("grpc.ssl_target_name_override", "localhost")])
    return document_service_pb2_grpc.DocumentServiceStub(channel)


def create_request(dossier, request_id, desk):
    from taicho.v1 import document_service_pb2
    request = document_service_pb2.CreateDocumentRequest(request_id=request_id)
    request.document.kind = "quyet-dinh-ubnd"
    request.document.dossier_code = dossier
    request.document.procedure = "1.001612"
    request.document.desk = desk
    request.document.data.CopyFrom(sample_data())
    return request


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True)
    parser.add_argument("--pki", required=True)
    parser.add_argument("--client", default="client-intake")
    parser.add_argument("--desk", default="Quầy 1")
    parser.add_argument("command", choices=["create", "seal", "download", "withdraw"])
    parser.add_argument("args", nargs="*")
    a = parser.parse_args()
    generate_stubs()
    from taicho.v1 import document_service_pb2
    stub = connect(a.target, a.pki, a.client)
    if a.command == "create":
        doc = stub.CreateDocument(create_request(a.args[0], "1", a.desk), timeout=60)
        print(doc.name)
    elif a.command == "seal":
        request = document_service_pb2.SignDocumentRequest(
            name=a.args[0], role=document_service_pb2.SEAL, key="serverKeys/seal",
            reason="Đóng dấu phát hành")
        done = stub.SignDocument(request, timeout=120)
        print("sealed", done.document.name, "revision", done.revision.number)
    elif a.command == "withdraw":
        doc = stub.WithdrawDocument(document_service_pb2.WithdrawDocumentRequest(
            name=a.args[0], reason=a.args[1]), timeout=60)
        print("withdrawn", doc.name, doc.withdrawal.reason)
    else:
        pdf = b"".join(c.data for c in stub.DownloadRevision(
            document_service_pb2.DownloadRevisionRequest(name=a.args[0]), timeout=60))
        with open(a.args[1], "wb") as f:
            f.write(pdf)
        print(a.args[1], len(pdf), "bytes")


if __name__ == "__main__":
    main()
