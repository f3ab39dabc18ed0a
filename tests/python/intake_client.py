#!/usr/bin/python3
"""The province's one-stop-shop software as another language calls taichod: Python grpcio
(Debian's python3-grpcio) over mutual TLS with the intake client certificate.

Generates the Python stubs from proto/ with protoc and grpc_python_plugin into a temp dir, then:
creates a decision from the sample data (a dossier received at the desk), repeats the request
(idempotent: the same document), reads it back, lists the desk's drafts, checks that bad data and
a wrong role get their status and stable code, and reads the register and statistics. Prints one
JSON object with what it saw; exits non-zero on the first unexpected answer.

Usage: intake_client.py --target 127.0.0.1:PORT --pki DIR --source ROOT
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

BUILT_IN = {"agency", "number", "symbol", "place", "date", "type", "summary", "articles",
            "fields", "recipients", "signer", "verification"}


def generate_stubs(source, out):
    proto_root = os.path.join(source, "proto")
    files = sorted(os.path.join("taicho/v1", f)
                   for f in os.listdir(os.path.join(proto_root, "taicho/v1"))
                   if f.endswith(".proto"))
    subprocess.run(["protoc", "--proto_path=" + proto_root, "--python_out=" + out,
                    "--grpc_python_out=" + out,
                    "--plugin=protoc-gen-grpc_python=/usr/bin/grpc_python_plugin", *files],
                   check=True)
    sys.path.insert(0, out)


def sample_data(source, document_data_pb2, json_format):
    """render/samples/quyet-dinh-ubnd.json as DocumentData: other keys go to texts and lists."""
    with open(os.path.join(source, "render/samples/quyet-dinh-ubnd.json"), encoding="utf-8") as f:
        sample = json.load(f)
    out = {"texts": {}, "lists": {}}
    for key, value in sample.items():
        if key in ("number", "date"):
            continue  # given by the system at issue
        if key in BUILT_IN:
            out[key] = value
        elif isinstance(value, str):
            out["texts"][key] = value
        else:
            out["lists"][key] = {"values": value}
    return json_format.ParseDict(out, document_data_pb2.DocumentData())


def error_code(error):
    for key, value in error.trailing_metadata() or ():
        if key == "taicho-error-code":
            return value
    return ""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True)
    parser.add_argument("--pki", required=True)
    parser.add_argument("--source", required=True)
    args = parser.parse_args()

    work = tempfile.mkdtemp(prefix="taicho-py-")
    generate_stubs(args.source, work)
    import grpc
    from google.protobuf import json_format
    from taicho.v1 import document_data_pb2, document_pb2, document_service_pb2
    from taicho.v1 import document_service_pb2_grpc, register_pb2, statistics_pb2

    def read(name):
        with open(os.path.join(args.pki, name), "rb") as f:
            return f.read()

    def stub_as(client):
        credentials = grpc.ssl_channel_credentials(
            root_certificates=read("root.pem"), private_key=read(client + ".key"),
            certificate_chain=read(client + ".chain.pem"))
        channel = grpc.secure_channel(args.target, credentials,
                                      options=[("grpc.ssl_target_name_override", "localhost")])
        return document_service_pb2_grpc.DocumentServiceStub(channel)

    intake = stub_as("client-intake")
    seen = {}

    request = document_service_pb2.CreateDocumentRequest(request_id="py-1")
    request.document.kind = "quyet-dinh-ubnd"
    request.document.dossier_code = "HS-PY-000123"
    request.document.procedure = "1.001612"
    request.document.desk = "Quầy Python"
    request.document.data.CopyFrom(sample_data(args.source, document_data_pb2, json_format))
    created = intake.CreateDocument(request, timeout=60)
    assert created.state == document_pb2.Document.DRAFT, created.state
    again = intake.CreateDocument(request, timeout=60)
    assert again.name == created.name, (again.name, created.name)
    seen["name"] = created.name
    seen["idempotent"] = True

    got = intake.GetDocument(document_service_pb2.GetDocumentRequest(name=created.name),
                             timeout=60)
    assert got.dossier_code == "HS-PY-000123" and len(got.revisions) == 1
    seen["revisions"] = len(got.revisions)

    listed = intake.ListDocuments(document_service_pb2.ListDocumentsRequest(
        desk="Quầy Python", state=document_pb2.Document.DRAFT), timeout=60)
    assert [d.name for d in listed.documents] == [created.name]

    pdf = b"".join(chunk.data for chunk in intake.DownloadRevision(
        document_service_pb2.DownloadRevisionRequest(name=created.name), timeout=60))
    assert pdf.startswith(b"%PDF-"), pdf[:8]
    seen["draft_bytes"] = len(pdf)

    # Bad data: every problem listed, INVALID_ARGUMENT with the stable code.
    bad = document_service_pb2.CreateDocumentRequest(request_id="py-2")
    bad.document.kind = "quyet-dinh-ubnd"
    bad.document.dossier_code = "HS-PY-000124"
    try:
        intake.CreateDocument(bad, timeout=60)
        raise AssertionError("bad data accepted")
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.INVALID_ARGUMENT, e.code()
        seen["bad_data"] = error_code(e)

    bad.document.kind = "khong-co"
    try:
        intake.CreateDocument(bad, timeout=60)
        raise AssertionError("unknown kind accepted")
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.NOT_FOUND, e.code()
        seen["unknown_kind"] = error_code(e)

    # The print station may not create documents.
    try:
        stub_as("client-print-station").CreateDocument(request, timeout=60)
        raise AssertionError("print station created a document")
    except grpc.RpcError as e:
        assert e.code() == grpc.StatusCode.PERMISSION_DENIED, e.code()
        seen["wrong_role"] = error_code(e)

    register = intake.ListRegister(register_pb2.ListRegisterRequest(), timeout=60)
    seen["register_entries"] = len(register.entries)
    stats = intake.GetDeskStatistics(
        statistics_pb2.GetDeskStatisticsRequest(desk="Quầy Python"), timeout=60)
    seen["received"] = stats.total.received
    print(json.dumps(seen, ensure_ascii=False))


if __name__ == "__main__":
    main()
