#!/usr/bin/env python3
# Copyright 2026 The Wayback Authors.
#
# A fault-injecting HTTP/1.1 proxy for the S3 fault tests
# (tests/storage/s3_fault_test.cc). It sits between the S3 client and s3rver,
# forwards every request unchanged (the Host header included, so signatures
# still verify), and injects armed faults into matching responses.
#
# Usage: fault_proxy.py UPSTREAM_HOST:PORT [SECRET_KEY]
# With SECRET_KEY (and botocore installed) it also re-verifies the SigV4
# signature of every request exactly as it arrived on the wire (s3rver does
# not check V4 signatures), counting good and bad ones in the statistics.
# Prints "LISTENING <port>" once ready (it binds 127.0.0.1, port chosen by the
# kernel). Control requests (not forwarded):
#   GET /__proxy/fault?kind=K&count=N[&method=M][&path=SUBSTRING][&seconds=S]
#       arms a fault for the next N matching requests. Kinds:
#         500       answer 500 InternalError instead of forwarding
#         503       answer 503 SlowDown instead of forwarding
#         reset     forward, send the headers and half the body, then reset
#                   the connection (RST)
#         short     forward, send the headers (full Content-Length) and half
#                   the body, then close cleanly (FIN): a short body
#         stall     forward, send the headers and half the body, then stall
#                   for S seconds (default 5) before closing
#         drop      reset the connection before any response is sent
#   GET /__proxy/clear   disarms every fault and zeroes the statistics
#   GET /__proxy/stats   JSON: {"fired": {kind: n}, "requests": n,
#                        "ranges": [Range header of each forwarded GET],
#                        "sig_checked": n, "sig_bad": [descriptions]}

import http.client
import json
import socket
import socketserver
import struct
import sys
import threading
import time
import urllib.parse

UPSTREAM = sys.argv[1]
SECRET = sys.argv[2] if len(sys.argv) > 2 else None
SIG = {"checked": 0, "bad": []}
LOCK = threading.Lock()
FAULTS = []  # dicts: kind, count, method, path, seconds
FIRED = {}
RANGES = []
REQUESTS = [0]

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te",
              "trailer", "upgrade", "proxy-connection"}


def take_fault(method, path):
    with LOCK:
        for f in FAULTS:
            if f["count"] <= 0:
                continue
            if f["method"] and f["method"] != method:
                continue
            if f["path"] and f["path"] not in urllib.parse.unquote(path):
                continue
            f["count"] -= 1
            FIRED[f["kind"]] = FIRED.get(f["kind"], 0) + 1
            return f
    return None


def verify_signature(method, path, headers, body):
    """Recomputes the SigV4 signature of a request as received; returns an
    error description or None."""
    import hashlib
    import re
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    h = {k.lower(): v for k, v in headers}
    auth = h.get("authorization", "")
    m = re.match(r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/s3/"
                 r"aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$",
                 auth)
    if not m:
        return f"{method} {path}: malformed Authorization {auth!r}"
    access_key, date, region, signed, signature = m.groups()
    if h.get("x-amz-content-sha256") != hashlib.sha256(body).hexdigest():
        return f"{method} {path}: x-amz-content-sha256 is not the body's hash"
    if not h.get("x-amz-date", "").startswith(date):
        return f"{method} {path}: x-amz-date does not match the scope date"
    signed_names = signed.split(";")
    for required in ("host", "x-amz-date", "x-amz-content-sha256"):
        if required not in signed_names:
            return f"{method} {path}: {required} is not signed"
    request = AWSRequest(method=method, url="http://" + h["host"] + path,
                         headers={n: h[n] for n in signed_names if n in h},
                         data=body)
    request.context["timestamp"] = h["x-amz-date"]
    signer = S3SigV4Auth(Credentials(access_key, SECRET), "s3", region)
    canonical = signer.canonical_request(request)
    expected = signer.signature(signer.string_to_sign(request, canonical),
                                request)
    if expected != signature:
        return f"{method} {path}: signature mismatch; canonical request:\n{canonical}"
    return None


def error_xml(code, message):
    return (f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code>'
            f'<Message>{message}</Message></Error>').encode()


class Handler(socketserver.StreamRequestHandler):
    def reset(self):
        # SO_LINGER with a zero timeout turns close() into an RST.
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                   struct.pack("ii", 1, 0))
        self.connection.close()

    def send(self, status, reason, headers, body, head=False):
        out = [f"HTTP/1.1 {status} {reason}\r\n".encode()]
        for k, v in headers:
            out.append(f"{k}: {v}\r\n".encode())
        out.append(b"\r\n")
        self.wfile.write(b"".join(out))
        if not head:
            self.wfile.write(body)
        self.wfile.flush()

    def control(self, path):
        url = urllib.parse.urlparse(path)
        q = dict(urllib.parse.parse_qsl(url.query))
        with LOCK:
            if url.path == "/__proxy/fault":
                FAULTS.append({"kind": q["kind"], "count": int(q.get("count", 1)),
                               "method": q.get("method", ""),
                               "path": q.get("path", ""),
                               "seconds": float(q.get("seconds", 5))})
                body = b"armed"
            elif url.path == "/__proxy/clear":
                FAULTS.clear()
                FIRED.clear()
                RANGES.clear()
                REQUESTS[0] = 0
                SIG["checked"] = 0
                SIG["bad"] = []
                body = b"cleared"
            else:
                body = json.dumps({"fired": FIRED, "requests": REQUESTS[0],
                                   "ranges": RANGES,
                                   "sig_checked": SIG["checked"],
                                   "sig_bad": SIG["bad"]}).encode()
        self.send(200, "OK", [("Content-Length", len(body))], body)

    def handle(self):
        while True:
            line = self.rfile.readline()
            if not line:
                return
            method, path, _ = line.decode("latin-1").split(" ", 2)
            headers = []
            while True:
                h = self.rfile.readline().decode("latin-1")
                if h in ("\r\n", "\n", ""):
                    break
                k, v = h.split(":", 1)
                headers.append((k.strip(), v.strip()))
            length = 0
            for k, v in headers:
                if k.lower() == "content-length":
                    length = int(v)
            body = self.rfile.read(length) if length else b""
            if path.startswith("/__proxy/"):
                self.control(path)
                continue
            with LOCK:
                REQUESTS[0] += 1
            if SECRET:
                try:
                    problem = verify_signature(method, path, headers, body)
                except ImportError:
                    problem = None
                with LOCK:
                    SIG["checked"] += 1
                    if problem:
                        SIG["bad"].append(problem)
            fault = take_fault(method, path)
            kind = fault["kind"] if fault else None
            if kind == "drop":
                self.reset()
                return
            if kind in ("500", "503"):
                status, reason, code = ((500, "Internal Server Error",
                                         "InternalError") if kind == "500"
                                        else (503, "Slow Down", "SlowDown"))
                err = error_xml(code, "injected by fault_proxy")
                self.send(status, reason, [("Content-Length", len(err)),
                                           ("Content-Type", "application/xml")],
                          err, head=(method == "HEAD"))
                continue
            # Forward.
            if method == "GET":
                with LOCK:
                    RANGES.append(dict((k.lower(), v) for k, v in headers)
                                  .get("range", ""))
            conn = http.client.HTTPConnection(UPSTREAM, timeout=60)
            conn.putrequest(method, path, skip_host=True,
                            skip_accept_encoding=True)
            for k, v in headers:
                if k.lower() not in HOP_BY_HOP:
                    conn.putheader(k, v)
            conn.endheaders(body if body else None)
            resp = conn.getresponse()
            data = resp.read()
            out_headers = []
            for k, v in resp.getheaders():
                if k.lower() in HOP_BY_HOP or k.lower() == "content-length":
                    continue
                out_headers.append((k, v))
            if method == "HEAD":
                out_headers.append(("Content-Length",
                                    resp.getheader("Content-Length", "0")))
            else:
                out_headers.append(("Content-Length", len(data)))
            conn.close()
            if kind in ("reset", "short", "stall"):
                half = data[: len(data) // 2]
                self.send(resp.status, resp.reason, out_headers, half,
                          head=(method == "HEAD"))
                if kind == "stall":
                    time.sleep(fault["seconds"])
                if kind == "reset":
                    self.reset()
                else:
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.connection.close()
                return
            self.send(resp.status, resp.reason, out_headers, data,
                      head=(method == "HEAD"))


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    server = Server(("127.0.0.1", 0), Handler)
    print(f"LISTENING {server.server_address[1]}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
