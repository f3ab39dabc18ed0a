#!/usr/bin/env python3
"""Replays the attack corpus through `taicho verify --json` and compares with EXPECTED.tsv.

  replay_attacks.py --taicho PATH/taicho --dir tests/attacks [--timeout 60] [--only SUBSTR]

One line per file: PASS, FAIL (with why), XFAIL (pending verifier fix) or XPASS (a pending row
now detected: flip its `pending` column), then exactly `N passed, M failed`. Exit 1 on a failure.

EXPECTED.tsv columns: file, pending (yes/no), expect, note. `file` is a path under --dir, or
gen:NAME for a file make_attacks.generated() makes at test time. `expect` is space-separated:
  verdict=fail          verify does not pass the document (exit 1; or the input refused, exit 3)
  verdict=pass          exit 0, every signature TOTAL-PASSED, no document problem
  sigs=N                number of signatures reported
  SIG=IND[/SUB]         signature with field name SIG has that indication (and sub-indication)
  SIG!=IND              ... has not that indication
  SIG:change=KIND!      ... lists a change of KIND that is not permitted ("any" for any kind)
  SIG:change=KIND       ... lists a permitted change of KIND
  SIG:nochange          ... lists no change after it
  problem~TEXT          a document-level or signature problem contains TEXT (case-insensitive;
                        _ stands for a space)
  report~TEXT           the JSON report contains TEXT anywhere (case-insensitive; _ for a space)
  !report~TEXT          ... does not contain TEXT
  maxsec=S              verify took at most S seconds
  qpdf                  `qpdf --check` finds no error (controls)
  pdfsig                `pdfsig -nocert` says every signature is valid (controls)
  intact                every signature's bytes verify (byte range, digest, signature value)
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time


def load_expected(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        header = None
        for line in f:
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            cols = line.split("\t")
            if header is None:
                header = cols
                continue
            rows.append(dict(zip(header, cols + [""] * (len(header) - len(cols)))))
    return rows


def run_verify(taicho, pdf, trust, timeout):
    cmd = [taicho, "verify", pdf, "--json"]
    if trust:
        cmd += ["--trust", trust]
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, None, "", time.monotonic() - t0
    report = None
    try:
        report = json.loads(p.stdout.decode("utf-8", "replace"))
    except ValueError:
        pass
    return p.returncode, report, p.stderr.decode("utf-8", "replace").strip(), time.monotonic() - t0


def check(token, rc, report, pdf, tools, secs=0.0):
    """None when the check holds, else why not."""
    if token.startswith("maxsec="):
        return None if secs <= float(token[7:]) else "took %.1f s (> %s s)" % (secs, token[7:])
    if token.startswith("!report~"):
        text = token[8:].replace("_", " ").lower()
        return None if report is None or text not in json.dumps(
            report, ensure_ascii=False).lower() else "report says %r" % text
    sigs = {s["field_name"]: s for s in (report or {}).get("signatures", [])}

    def need_report():
        return None if report is not None else "no JSON report (exit %s)" % rc

    if token == "verdict=fail":
        if rc == 1 and report is not None and not report.get("all_passed"):
            return None
        if rc == 3:
            return None  # input refused (PDF_UNREADABLE, ...): not passed
        return "verify passed it (exit %s)" % rc
    if token == "verdict=pass":
        if rc == 0 and report and report.get("all_passed"):
            return None
        return "not passed (exit %s)" % rc
    if token == "intact":
        if need_report():
            return need_report()
        bad = [n for n, s in sigs.items()
               if not (s["byte_range_ok"] and s["digest_ok"] and s["signature_ok"])]
        return "integrity broken: %s" % ", ".join(bad) if bad else None
    if token.startswith("sigs="):
        if need_report():
            return need_report()
        want = int(token[5:])
        return None if len(sigs) == want else "%d signatures, not %d" % (len(sigs), want)
    if token.startswith("problem~"):
        text = token[8:].replace("_", " ").lower()
        probs = list((report or {}).get("problems", []))
        for s in sigs.values():
            probs += s.get("problems", [])
        return None if any(text in p.lower() for p in probs) else "no problem with %r" % text
    if token.startswith("report~"):
        text = token[7:].replace("_", " ").lower()
        return None if report and text in json.dumps(report, ensure_ascii=False).lower() \
            else "report lacks %r" % text
    if token == "qpdf":
        if not tools.get("qpdf"):
            return None
        p = subprocess.run(["qpdf", "--check", pdf], capture_output=True, timeout=120)
        return None if p.returncode == 0 else "qpdf --check exit %d: %s" % (
            p.returncode, p.stdout.decode(errors="replace").strip().splitlines()[-1:])
    if token == "pdfsig":
        if not tools.get("pdfsig"):
            return None
        p = subprocess.run(["pdfsig", "-nocert", pdf], capture_output=True, timeout=120)
        out = p.stdout.decode(errors="replace")
        n = out.count("Signature Validation: Signature is Valid.")
        want = len(sigs) if sigs else 1
        return None if p.returncode == 0 and n == want else "pdfsig: %d of %d valid (exit %d)" % (
            n, want, p.returncode)
    # per-signature checks
    name, _, rest = token.partition(":") if ":" in token.split("=")[0] else ("", "", "")
    if name:
        if need_report():
            return need_report()
        s = sigs.get(name)
        if s is None:
            return "no signature %r" % name
        changes = s.get("changes_after", [])
        if rest == "nochange":
            return None if not changes else "%s has %d change(s)" % (name, len(changes))
        if rest.startswith("change="):
            kind = rest[7:]
            forbidden = kind.endswith("!")
            kind = kind.rstrip("!")
            for c in changes:
                if (kind == "any" or c["kind"] == kind) and c["permitted"] != forbidden:
                    return None
            return "%s lists no %s%s change" % (name, "forbidden " if forbidden else "permitted ",
                                                kind)
        return "bad check %r" % token
    for op in ("!=", "="):
        if op in token:
            name, want = token.split(op, 1)
            if need_report():
                return need_report()
            s = sigs.get(name)
            if s is None:
                return "no signature %r" % name
            got = s["indication"] + ("/" + s["sub_indication"] if s["sub_indication"] else "")
            if op == "!=":
                return None if not (got == want or got.startswith(want + "/")) else \
                    "%s is %s" % (name, got)
            return None if got == want or ("/" not in want and s["indication"] == want) else \
                "%s is %s, not %s" % (name, got, want)
    return "bad check %r" % token


def summary(rc, report, err):
    if report is None:
        return "exit %s %s" % (rc, err.splitlines()[-1][:120] if err else "")
    parts = []
    for s in report.get("signatures", []):
        ind = s["indication"] + ("/" + s["sub_indication"] if s["sub_indication"] else "")
        bad = [c["kind"] for c in s.get("changes_after", []) if not c["permitted"]]
        parts.append("%s=%s%s" % (s["field_name"], ind, " [%s!]" % ",".join(sorted(set(bad)))
                                  if bad else ""))
    if report.get("problems"):
        parts.append("+%d doc problem(s)" % len(report["problems"]))
    return "exit %s %s" % (rc, " ".join(parts))


def main():
    ap = argparse.ArgumentParser(description="replay the attack corpus")
    ap.add_argument("--taicho", required=True)
    ap.add_argument("--dir", default=os.path.dirname(os.path.abspath(__file__)))
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--only", default="")
    ap.add_argument("--verbose", action="store_true")
    a = ap.parse_args()
    sys.dont_write_bytecode = True  # nothing written into the source tree
    sys.path.insert(0, a.dir)
    import make_attacks

    trust = os.path.join(a.dir, "base", "trust.pem")
    trust = trust if os.path.exists(trust) else None
    tools = {t: shutil.which(t) for t in ("qpdf", "pdfsig")}
    rows = load_expected(os.path.join(a.dir, "EXPECTED.tsv"))
    tmp = tempfile.mkdtemp(prefix="taicho-attacks-")
    passed = failed = xfail = xpass = 0
    try:
        generated = None
        # The committed files are what make_attacks.py writes (no hand edits, no drift).
        if not a.only:
            corpus = make_attacks.build_corpus()
            files = corpus.files
            stale = []
            for name, data in sorted(files.items()):
                try:
                    with open(os.path.join(a.dir, name), "rb") as f:
                        if f.read() != data:
                            stale.append(name)
                except OSError:
                    stale.append(name)
            listed = {r["file"][4:] if r["file"].startswith("gen:") else r["file"] for r in rows}
            unlisted = sorted((set(files) | set(make_attacks.generated())) - listed)
            if stale or unlisted:
                failed += 1
                print("FAIL   make_attacks.py: %s%s" % (
                    "differs from committed: " + ", ".join(stale) if stale else "",
                    " not in EXPECTED.tsv: " + ", ".join(unlisted) if unlisted else ""))
            else:
                passed += 1
                print("PASS   make_attacks.py reproduces the %d committed files" % len(files))
        for row in rows:
            name = row["file"]
            if a.only and a.only not in name:
                continue
            if name.startswith("gen:"):
                if generated is None:
                    generated = make_attacks.generated()
                path = os.path.join(tmp, name[4:])
                with open(path, "wb") as f:
                    f.write(generated[name[4:]])
            else:
                path = os.path.join(a.dir, name)
            pending = row.get("pending", "").strip().lower() == "yes"
            rc, report, err, secs = run_verify(a.taicho, path, trust, a.timeout)
            if rc is None:
                why = ["timed out after %.0f s" % a.timeout]
            else:
                why = [w for w in (check(t, rc, report, path, tools, secs)
                                   for t in row["expect"].split()) if w]
            info = summary(rc, report, err) if rc is not None else "timeout"
            if not why:
                status = "XPASS" if pending else "PASS"
            else:
                status = "XFAIL" if pending else "FAIL"
            if status == "FAIL":
                failed += 1
            else:
                passed += 1
                xfail += status == "XFAIL"
                xpass += status == "XPASS"
            line = "%-6s %-42s %5.1fs  %s" % (status, name, secs, info)
            if status == "XFAIL":
                line += "  (pending verifier fix: %s)" % "; ".join(why)
            elif status == "XPASS":
                line += "  (now detected: set pending=no)"
            elif why:
                line += "  <- " + "; ".join(why)
            print(line, flush=True)
            if a.verbose and report is not None:
                print(json.dumps(report, ensure_ascii=False, indent=1))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("(%d XFAIL pending verifier fix, %d XPASS)" % (xfail, xpass))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
