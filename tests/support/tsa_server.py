#!/usr/bin/env python3
"""A real RFC 3161 time-stamp authority for tests: an HTTP front on 127.0.0.1 whose replies are
made by OpenSSL's own `openssl ts -reply` with the sample PKI's TSA certificate.

Modes (what a client must cope with):
  normal      answers after --delay seconds (0 by default)
  slow        answers after --delay seconds (5 by default): longer than the client's time-out
  error       HTTP 500
  reject      a PKIStatus rejection (badAlg: this TSA section accepts SHA-512 imprints only)
  wrong-nonce a valid, signed reply for the same imprint but another nonce (as a replayed or
              mixed-up reply would be)
  garbage     HTTP 200 with random bytes
  resign      the TSTInfo of a valid reply re-signed (CAdES, ESS signing-certificate-v2) with
              --resign-cert/--resign-key: a token from a certificate that may not time-stamp

A file "mode" in --workdir, when present, overrides --mode for the requests that follow (a TSA
that goes down and comes back on the same address: LocalTsa::SetMode).

Concurrency: --workers (default 4) tokens may be made at once, as a real TSA answers several
clients at a time; each worker has its own serial numbers, starting in its own range (worker i at
(i+1)·2^40), so they stay unique. A worker is one `openssl ts -reply` process per token (its own
configuration and serial file; worker 0's are --workdir/tsa.cnf and --workdir/serial), or with
--signer-bin a long-lived tests/support/tsa_signer (OpenSSL's TS_RESP_create_response with the
same settings) that reads the certificate and key once: a process per token spends most of the
token's time starting up. --workers 1 without --signer-bin: one `openssl ts -reply` at a time,
clients queueing behind each other (the test TSA before issue 16's speed round).

The chosen port is written to --port-file once listening. --workdir/stats holds "REQUESTS
MAX_IN_FLIGHT ANSWER_MS": requests received, the most that were being answered at the same time,
and the milliseconds spent answering them, summed (arrival to answer ready, waits for a free
worker included: what this TSA adds to a client's latency).
SAMPLE ONLY: a test fixture, not a TSA.
"""
import argparse
import http.server
import os
import queue
import struct
import subprocess
import tempfile
import threading
import time

CONFIG = """\
[ tsa ]
default_tsa = tsa_config

[ tsa_config ]
serial = {serial}
crypto_device = builtin
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1.1
other_policies = 1.3.6.1.4.1.99999.1.2
digests = {digests}
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def der_length(n):
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def read_tlv(data, pos):
    """(tag, content start, content end) of the DER element at pos (definite lengths only)."""
    tag = data[pos]
    length = data[pos + 1]
    pos += 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[pos:pos + count], "big")
        pos += count
    return tag, pos, pos + length


def flip_nonce(query):
    """The query with the last byte of its nonce changed (same length, so no re-encoding)."""
    _, start, end = read_tlv(query, 0)
    pos = start
    seen_imprint = False
    while pos < end:
        tag, cstart, cend = read_tlv(query, pos)
        if tag == 0x30:
            seen_imprint = True
        elif tag == 0x02 and seen_imprint:
            out = bytearray(query)
            out[cend - 1] ^= 0x01
            return bytes(out)
        pos = cend
    raise ValueError("query has no nonce")


class CommandWorker:
    """One `openssl ts -reply` process per token, with a configuration (and serial file) of its
    own: what the server runs without --signer-bin."""

    def __init__(self, tsa, config):
        self.tsa = tsa
        self.config = config

    def sign(self, query):
        a = self.tsa.args
        with tempfile.TemporaryDirectory(dir=a.workdir) as tmp:
            qpath = os.path.join(tmp, "q.tsq")
            rpath = os.path.join(tmp, "r.tsr")
            with open(qpath, "wb") as f:
                f.write(query)
            self.tsa.run("openssl", "ts", "-reply", "-config", self.config, "-queryfile", qpath,
                         "-signer", a.signer, "-inkey", a.inkey, "-chain", a.chain, "-out", rpath)
            with open(rpath, "rb") as f:
                return f.read()


class ProcessWorker:
    """A long-lived tests/support/tsa_signer (OpenSSL's TS_RESP_create_response, the same
    settings): queries and replies framed by a 4-byte big-endian length on its stdin/stdout."""

    def __init__(self, args, serial_start, digests):
        self.proc = subprocess.Popen(
            [args.signer_bin, args.signer, args.inkey, args.chain, "0x%X" % serial_start,
             digests.replace(" ", "")],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def sign(self, query):
        self.proc.stdin.write(struct.pack(">I", len(query)) + query)
        self.proc.stdin.flush()
        head = self.proc.stdout.read(4)
        if len(head) != 4:
            raise RuntimeError("tsa_signer exited (%s)" % self.proc.poll())
        return self.proc.stdout.read(struct.unpack(">I", head)[0])


class Tsa:
    def __init__(self, args):
        self.args = args
        # Free workers, each answering one query at a time (`openssl ts -reply` rewrites its
        # serial file; a tsa_signer reads one query after another).
        self.workers = queue.Queue()
        self.stats_lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.requests = 0
        self.connections = 0
        self.answer_ms = 0.0
        workdir = args.workdir
        digests = "sha512" if args.mode == "reject" else "sha256, sha384, sha512"
        for i in range(max(1, args.workers)):
            serial_start = ((i + 1) << 40) | 1  # worker i's own range: serials stay unique
            suffix = "" if i == 0 else ".%d" % i
            serial = os.path.join(workdir, "serial" + suffix)
            with open(serial, "w") as f:
                f.write("%016X\n" % serial_start)  # an even count of hex digits
            config = os.path.join(workdir, "tsa%s.cnf" % suffix)
            with open(config, "w") as f:
                f.write(CONFIG.format(serial=serial, digests=digests))
            if args.signer_bin:
                self.workers.put(ProcessWorker(args, serial_start, digests))
            else:
                self.workers.put(CommandWorker(self, config))

    def run(self, *argv, stdin=None):
        done = subprocess.run(argv, input=stdin, capture_output=True)
        if done.returncode != 0:
            raise RuntimeError(" ".join(argv) + ": " + done.stderr.decode(errors="replace"))
        return done.stdout

    def mode(self):
        try:
            with open(os.path.join(self.args.workdir, "mode")) as f:
                return f.read().strip() or self.args.mode
        except FileNotFoundError:
            return self.args.mode

    def sign(self, query):
        worker = self.workers.get()
        try:
            return worker.sign(query)
        finally:
            self.workers.put(worker)

    def reply(self, query, mode):
        a = self.args
        reply = self.sign(flip_nonce(query) if mode == "wrong-nonce" else query)
        if a.mode != "resign":
            return reply
        with tempfile.TemporaryDirectory(dir=a.workdir) as tmp:
            rpath = os.path.join(tmp, "r.tsr")
            with open(rpath, "wb") as f:
                f.write(reply)
            token = os.path.join(tmp, "token.der")
            tst = os.path.join(tmp, "tst.der")
            resigned = os.path.join(tmp, "resigned.der")
            self.run("openssl", "ts", "-reply", "-in", rpath, "-token_out", "-out", token)
            self.run("openssl", "cms", "-verify", "-noverify", "-inform", "DER", "-in", token,
                     "-out", tst)
            self.run("openssl", "cms", "-sign", "-binary", "-nodetach", "-cades", "-nosmimecap",
                     "-md", "sha256", "-econtent_type", "1.2.840.113549.1.9.16.1.4",
                     "-in", tst, "-signer", a.resign_cert, "-inkey", a.resign_key,
                     "-certfile", a.chain, "-outform", "DER", "-out", resigned)
            with open(resigned, "rb") as f:
                token_der = f.read()
            status = bytes.fromhex("3003020100")  # PKIStatusInfo { granted }
            body = status + token_der
            return b"\x30" + der_length(len(body)) + body

    def write_stats(self):
        path = os.path.join(self.args.workdir, "stats")
        with open(path + ".tmp", "w") as f:
            f.write("%d %d %.1f %d\n" % (self.requests, self.max_in_flight, self.answer_ms,
                                          self.connections))
        os.replace(path + ".tmp", path)


def make_handler(tsa):
    class Handler(http.server.BaseHTTPRequestHandler):
        # Keep-alive, as a TSA in service answers: the client keeps its connections open
        # (http::Connections), and a connection per token would be most of this server's work.
        protocol_version = "HTTP/1.1"
        # The headers and the body leave in two writes: with Nagle's algorithm the body would
        # wait for the client's delayed ACK of the headers (40 ms) on a kept connection.
        disable_nagle_algorithm = True

        def log_message(self, fmt, *args):  # quiet: test output stays readable
            pass

        def setup(self):  # once per connection (its requests follow on it)
            super().setup()
            with tsa.stats_lock:
                tsa.connections += 1
                tsa.write_stats()

        def send(self, code, body, ctype="application/timestamp-reply"):
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            # Counted on arrival, so the stats are written before the client has its answer.
            arrived = time.monotonic()
            with tsa.stats_lock:
                tsa.in_flight += 1
                tsa.max_in_flight = max(tsa.max_in_flight, tsa.in_flight)
                tsa.requests += 1
                tsa.write_stats()
            answer = None
            try:
                query = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                mode = tsa.mode()
                if tsa.args.delay > 0:
                    time.sleep(tsa.args.delay)
                if mode == "error":
                    answer = (500, b"internal error\n", "text/plain")
                elif mode == "garbage":
                    answer = (200, os.urandom(300))
                else:
                    answer = (200, tsa.reply(query, mode))
            except Exception as e:  # a fixture bug: say so in the log, answer 500
                print("tsa_server:", e, flush=True)
                answer = (500, str(e).encode(), "text/plain")
            finally:
                # Out of flight before the answer leaves: a client may send its next request the
                # moment it has this one's answer, and must not find this one still counted.
                with tsa.stats_lock:
                    tsa.in_flight -= 1
                    tsa.answer_ms += 1000 * (time.monotonic() - arrived)
                    tsa.write_stats()
            try:
                self.send(*answer)
            except OSError:
                pass  # the client gave up (time-out): expected in the slow mode

    return Handler


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--workdir", required=True)
    p.add_argument("--port-file", required=True)
    p.add_argument("--signer", required=True)
    p.add_argument("--inkey", required=True)
    p.add_argument("--chain", required=True)
    p.add_argument("--mode", default="normal",
                   choices=["normal", "slow", "error", "reject", "wrong-nonce", "garbage",
                            "resign"])
    p.add_argument("--delay", type=float, default=None)
    p.add_argument("--workers", type=int, default=4,
                   help="tokens that may be made at once (one worker each)")
    p.add_argument("--signer-bin",
                   help="tests/support/tsa_signer: long-lived workers instead of one "
                        "`openssl ts -reply` process per token")
    p.add_argument("--resign-cert")
    p.add_argument("--resign-key")
    args = p.parse_args()
    if args.delay is None:
        args.delay = 5.0 if args.mode == "slow" else 0.0
    tsa = Tsa(args)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(tsa))
    server.daemon_threads = True
    with open(args.port_file + ".tmp", "w") as f:
        f.write("%d\n" % server.server_address[1])
    os.replace(args.port_file + ".tmp", args.port_file)  # the fixture sees it only when complete
    server.serve_forever()


if __name__ == "__main__":
    main()
