#!/usr/bin/env python3
"""Replays pyHanko's regression files (issue 23) through `taicho` and compares what it says with
what pyHanko's own tests assert of them (../shared/peers/pyhanko/EXPECTED.md), row by row from a
table (pyhanko_expected.tsv).

The certificates of those files expired long ago (pyHanko's tests freeze the clock in 2020-21), so
the final indication is not compared: integrity, signer identification and the modification
analysis are.

Rows marked pending=yes wait for work in progress: a disagreement is XFAIL (not a failure), an
agreement XPASS (time to drop the mark). Exit status: 0 when no row failed, 1 otherwise, 77 (ctest
SKIP_RETURN_CODE) when the peers folder is not there.

Table columns (tab-separated, '#' starts a comment line):
  file      path under the peers folder
  pending   yes | no
  checks    space-separated, all must hold:
    signed files (`taicho verify --json --trust testing-ca-chain.pem`):
      signatures=N       the report lists N signatures
      intact[@I]         byte range, digest and signature value verify (every signature, or the
                         I-th, 1-based)
      identified[@I]     the signer is named (signer_name) and its certificate identified
                         (signing_certificate_ok)
      permitted@I        the changes after signature I are permitted
      not-permitted@I    they are not
      mentions@I:TEXT    a change reported after signature I names TEXT
      failed[@I]         indication TOTAL-FAILED (not a valid signature of the document)
      no-sub:A,B         no signature has sub-indication A or B
    unsigned inputs (`taicho sign --p12` with the sample PKI's officer key):
      signs              signing succeeds and the result verifies intact
      refused[:CODE]     signing fails with a stable error (LỖI / ERROR [CODE] on stderr; without
                         CODE, any PDF_* code), not a crash or a hang
  why       what pyHanko asserts, for the reader
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

SKIP = 77
TIMEOUT_S = 120


def run(argv, stdin=None):
    try:
        p = subprocess.run(argv, input=stdin, capture_output=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return None
    return p


def signature_indexes(spec, count):
    if spec is None:
        return list(range(count))
    i = int(spec) - 1
    return [i] if 0 <= i < count else []


def check_signed(taicho, pdf, trust, checks):
    p = run([taicho, "verify", "--json", "--trust", trust, pdf])
    if p is None:
        return [f"taicho verify timed out after {TIMEOUT_S} s"]
    try:
        report = json.loads(p.stdout)
    except ValueError:
        err = p.stderr.decode(errors="replace").strip()
        return [f"taicho verify gave no report (exit {p.returncode}): {err}"]
    sigs = report.get("signatures", [])
    failures = []

    def each(spec, name):
        idx = signature_indexes(spec, len(sigs))
        if not idx:
            failures.append(f"{name}: no signature {spec or ''} (the report has {len(sigs)})")
        return [(i, sigs[i]) for i in idx]

    for check in checks:
        m = re.fullmatch(r"([a-z-]+)(?:[@=:](.*))?", check)
        name, arg = (m.group(1), m.group(2) or "") if m else (check, "")
        if name == "signatures":
            if len(sigs) != int(arg):
                failures.append(f"{len(sigs)} signatures, expected {arg}")
        elif name == "intact":
            for i, s in each(arg or None, name):
                if not (s["byte_range_ok"] and s["digest_ok"] and s["signature_ok"]):
                    failures.append(f"signature {i + 1} not intact: byte_range_ok="
                                    f"{s['byte_range_ok']} digest_ok={s['digest_ok']} "
                                    f"signature_ok={s['signature_ok']} {s['problems']}")
        elif name == "identified":
            for i, s in each(arg or None, name):
                if not s["signer_name"] or not s["signing_certificate_ok"]:
                    failures.append(f"signature {i + 1}: signer not identified (signer_name="
                                    f"{s['signer_name']!r}, signing_certificate_ok="
                                    f"{s['signing_certificate_ok']}) {s['problems']}")
        elif name in ("permitted", "not-permitted"):
            for i, s in each(arg or None, name):
                if s["changes_permitted"] != (name == "permitted"):
                    changes = [c["text_en"] for c in s["changes_after"] if not c["permitted"]]
                    failures.append(f"signature {i + 1}: changes_permitted="
                                    f"{s['changes_permitted']} {changes or ''} "
                                    f"{report.get('problems') or ''}".rstrip())
        elif name == "mentions":
            spec, _, text = arg.partition(":")
            for i, s in each(spec, name):
                said = json.dumps(s["changes_after"], ensure_ascii=False)
                if text not in said:
                    failures.append(f"signature {i + 1}: no change names {text}")
        elif name == "failed":
            for i, s in each(arg or None, name):
                if s["indication"] != "TOTAL-FAILED":
                    failures.append(f"signature {i + 1}: {s['indication']} "
                                    f"{s['sub_indication']}, expected TOTAL-FAILED")
        elif name == "no-sub":
            bad = set(arg.split(","))
            for i, s in enumerate(sigs):
                if s["sub_indication"] in bad:
                    failures.append(f"signature {i + 1}: {s['sub_indication']} "
                                    f"{s['problems']}")
        else:
            failures.append(f"unknown check {check!r}")
    return failures


def check_unsigned(taicho, pdf, trust, p12, checks, workdir):
    if p12 is None:
        return None  # skipped: no key
    out = os.path.join(workdir, os.path.basename(pdf) + ".signed.pdf")
    p = run([taicho, "sign", "--in", pdf, "--out", out, "--p12", p12, "--pin-stdin"],
            stdin=b"taicho\n")
    if p is None:
        return [f"taicho sign timed out after {TIMEOUT_S} s"]
    err = p.stderr.decode(errors="replace").strip()
    failures = []
    for check in checks:
        name, _, arg = check.partition(":")
        if name == "signs":
            if p.returncode != 0:
                failures.append(f"taicho sign failed (exit {p.returncode}): {err}")
                continue
            failures += check_signed(taicho, out, trust, ["signatures=1", "intact"])
            # And by tools we did not write: qpdf's structure check, poppler's signature check.
            q = run(["qpdf", "--check", out])
            if q is None or q.returncode not in (0, 3):
                failures.append(f"qpdf --check rejects the signed file: "
                                f"{q.stdout.decode(errors='replace').strip() if q else 'timeout'}")
            ps = run(["pdfsig", "-nocert", out])
            said = ps.stdout.decode(errors="replace") if ps is not None else ""
            if "Signature is Valid" not in said:
                failures.append(f"pdfsig does not call the signature valid: {said.strip()}")
        elif name == "refused":
            if p.returncode == 0:
                failures.append("taicho sign succeeded, expected a refusal")
            elif p.returncode < 0 or p.returncode >= 128:
                failures.append(f"taicho sign crashed (exit {p.returncode}): {err}")
            elif arg and f"ERROR [{arg}]" not in err:
                failures.append(f"expected [{arg}], got: {err}")
            elif not arg and not re.search(r"ERROR \[PDF_[A-Z_]+\]", err):
                # A refusal of the file, not of the command line or the installation.
                failures.append(f"no PDF_* error code on stderr: {err}")
        else:
            failures.append(f"unknown check {check!r}")
    return failures


def read_table(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.split("\t")
            if len(cols) < 3 or cols[1] not in ("yes", "no"):
                sys.exit(f"{path}:{n}: expected file<TAB>pending(yes|no)<TAB>checks[<TAB>why]")
            rows.append((cols[0], cols[1] == "yes", cols[2].split()))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--taicho", required=True)
    ap.add_argument("--peers", required=True, help="the pyhanko peers folder")
    ap.add_argument("--table", required=True)
    args = ap.parse_args()
    if not os.path.isdir(args.peers):
        print(f"SKIP: no pyHanko peer files at {args.peers} (../shared beside the clone)")
        return SKIP
    trust = os.path.join(args.peers, "testing-ca-chain.pem")
    seed = os.environ.get("TAICHO_TEST_PKI_SEED")
    p12 = os.path.join(seed, "pki", "officer-an.p12") if seed else None
    if p12 and not os.path.exists(p12):
        p12 = None
    passed = failed = skipped = xfail = 0
    with tempfile.TemporaryDirectory(prefix="pyhanko-replay-") as workdir:
        for file, pending, checks in read_table(args.table):
            pdf = os.path.join(args.peers, file)
            if not os.path.exists(pdf):
                print(f"SKIP  {file}: not in the peers folder")
                skipped += 1
                continue
            unsigned = any(c.split(":")[0] in ("signs", "refused") for c in checks)
            if unsigned:
                failures = check_unsigned(args.taicho, pdf, trust, p12, checks, workdir)
                if failures is None:
                    print(f"SKIP  {file}: no sample PKI (TAICHO_TEST_PKI_SEED) to sign with")
                    skipped += 1
                    continue
            else:
                failures = check_signed(args.taicho, pdf, trust, checks)
            if not failures:
                print(f"{'XPASS' if pending else 'PASS '} {file}: {' '.join(checks)}")
                passed += 1
            elif pending:
                print(f"XFAIL {file} (pending): {'; '.join(failures)}")
                xfail += 1
            else:
                print(f"FAIL  {file}: {'; '.join(failures)}")
                failed += 1
    if xfail:
        print(f"({xfail} pending rows still disagree: XFAIL, counted as skipped)")
    skipped += xfail
    print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
