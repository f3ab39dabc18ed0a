#!/usr/bin/python3
"""The province's one-stop-shop software as another language calls taichod: Python grpcio
(Debian's python3-grpcio) over mutual TLS with the intake client certificate.

Uses scripts/one_stop_shop.py's stubs (generated from proto/ at start) and helpers, then:
creates a decision from the sample data (a dossier received at the desk), repeats the request
(idempotent: the same document), reads it back, lists the desk's drafts, streams the draft back
to VerifyUpload, checks that bad data and a wrong role get their status and stable code, and reads
the register and statistics. With --sealed NAME, withdraws that sealed document (thu hồi); a draft cannot be withdrawn, a withdrawal needs a
reason, and the print station may not withdraw. Prints one JSON object with what it saw; exits
non-zero on the first unexpected answer.

Usage: intake_client.py --target 127.0.0.1:PORT --pki DIR [--sealed documents/ID]
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../scripts"))
import one_stop_shop  # noqa: E402  (generate_stubs, sample_data, connect, create_request)


def error_code(error):
    for key, value in error.trailing_metadata() or ():
        if key == "taicho-error-code":
            return value
    return ""


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--target", required=True)
    parser.add_argument("--pki", required=True)
    parser.add_argument("--sealed", default="")
    args = parser.parse_args()

    one_stop_shop.generate_stubs()
    import grpc
    from taicho.v1 import document_pb2, document_service_pb2, register_pb2, statistics_pb2

    def stub_as(client):
        return one_stop_shop.connect(args.target, args.pki, client)

    intake = stub_as("client-intake")
    seen = {}

    request = one_stop_shop.create_request("HS-PY-000123", "py-1", "Quầy Python")
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

    # The draft streamed back in pieces (VerifyUpload), its size declared first: a report with
    # no signature yet.
    def pieces(piece=64 * 1024):
        yield document_service_pb2.VerifyUploadRequest(
            metadata=document_service_pb2.UploadMetadata(total_size_bytes=len(pdf)))
        for at in range(0, len(pdf), piece):
            yield document_service_pb2.VerifyUploadRequest(data=pdf[at:at + piece])

    report = intake.VerifyUpload(pieces(), timeout=60)
    assert not report.all_passed and len(report.signatures) == 0, report
    seen["upload_signatures"] = len(report.signatures)

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

    # Withdrawal (thu hồi): only of a sealed document, with a reason, by whoever may seal.
    def withdraw_code(stub, name, reason):
        try:
            stub.WithdrawDocument(document_service_pb2.WithdrawDocumentRequest(
                name=name, reason=reason), timeout=60)
            return "OK"
        except grpc.RpcError as e:
            return error_code(e)

    seen["withdraw_draft"] = withdraw_code(intake, created.name, "sai sót")
    seen["withdraw_no_reason"] = withdraw_code(intake, created.name, "")
    seen["withdraw_by_print_station"] = withdraw_code(
        stub_as("client-print-station"), created.name, "sai sót")
    if args.sealed:
        withdrawn = intake.WithdrawDocument(document_service_pb2.WithdrawDocumentRequest(
            name=args.sealed, reason="Quyết định thu hồi số 12/QĐ-UBND"), timeout=60)
        seen["withdrawn_state"] = document_pb2.Document.State.Name(withdrawn.state)
        seen["withdrawn_reason"] = withdrawn.withdrawal.reason

    register = intake.ListRegister(register_pb2.ListRegisterRequest(), timeout=60)
    seen["register_entries"] = len(register.entries)
    stats = intake.GetDeskStatistics(
        statistics_pb2.GetDeskStatisticsRequest(desk="Quầy Python"), timeout=60)
    seen["received"] = stats.total.received
    print(json.dumps(seen, ensure_ascii=False))


if __name__ == "__main__":
    main()
