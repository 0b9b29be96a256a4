#!/usr/bin/env python3
# Copyright 2026 The Wayback Authors.
#
# An independent SigV4 oracle for tests/storage/sigv4_test.cc: builds the S3
# request the way botocore does (its own key encoding, its own query
# canonicalization) and signs it with botocore's S3SigV4Auth at a fixed time.
#
# Input (stdin, JSON): a list of requests, each {"method", "endpoint" ("http://host:port"), "bucket",
#   "key" (raw, unencoded), "path_style", "query": [[k, v], ...] (raw),
#   "headers": [[name, value], ...], "body_hex", "amz_date",
#   "access_key", "secret_key", "token", "region"}
# Output (stdout, JSON): a list, in order, of
#   {"url", "authorization", "canonical_request"}
# Exit status 3 when botocore is not installed (the test then skips).

import json
import sys

try:
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    from botocore.utils import percent_encode
except ImportError:
    sys.exit(3)


def sign(req):
    scheme, hostport = req["endpoint"].split("://", 1)
    key = percent_encode(req["key"], safe="/~") if req["key"] else ""
    if req["path_style"]:
        path = "/" + req["bucket"] + ("/" + key if req["key"] else "")
        host = hostport
    else:
        path = "/" + key
        host = req["bucket"] + "." + hostport
    url = f"{scheme}://{host}{path}"
    body = bytes.fromhex(req["body_hex"])
    request = AWSRequest(method=req["method"], url=url,
                         headers=dict(req["headers"]), data=body)
    if req["query"]:
        request.params = [(k, v) for k, v in req["query"]]
    request.context["timestamp"] = req["amz_date"]
    creds = Credentials(req["access_key"], req["secret_key"],
                        req["token"] or None)
    auth = S3SigV4Auth(creds, "s3", req["region"])
    auth._modify_request_before_signing(request)
    canonical = auth.canonical_request(request)
    string_to_sign = auth.string_to_sign(request, canonical)
    signature = auth.signature(string_to_sign, request)
    auth._inject_signature_to_request(request, signature)
    return {"url": url, "authorization": request.headers["Authorization"],
            "canonical_request": canonical}


def main():
    json.dump([sign(req) for req in json.load(sys.stdin)], sys.stdout)


if __name__ == "__main__":
    main()
