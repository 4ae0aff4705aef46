#!/usr/bin/env python3
"""Records the storage-class and server-side-encryption headers the official OSS SDK sends.

Runs alibabacloud-oss-v2 (pinned in .ci/oss-emulator/requirements.txt) against a local HTTP server that
captures each request, for PutObject and InitiateMultipartUpload with every storage class and every
server-side encryption setting, RestoreObject for Archive and ColdArchive objects, and PutBucketLifecycle with a
transition rule; writes the x-oss-* headers (and RestoreObject's and PutBucketLifecycle's query and body) to object-header-vectors.json beside this script. The Swift tests
(Tests/ObjectStorageTests/ObjectHeaderVectorTests.swift) build the same requests and compare.

Re-record: python3 -m pip install -r .ci/oss-emulator/requirements.txt && python3 Fixtures/oss/generate_object_headers.py
"""
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import alibabacloud_oss_v2 as oss
from alibabacloud_oss_v2.credentials import StaticCredentialsProvider

CAPTURED = []
KEPT = ("x-oss-storage-class", "x-oss-server-side-encryption", "x-oss-server-side-encryption-key-id")

INITIATE = (b'<?xml version="1.0" encoding="UTF-8"?><InitiateMultipartUploadResult><Bucket>b</Bucket>'
            b'<Key>k</Key><UploadId>0004B9894A22E5B1888A1E29F823****</UploadId></InitiateMultipartUploadResult>')


class Capture(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def handle_one(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        CAPTURED.append({"method": self.command, "path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()},
                         "body": body.decode("utf-8", "replace")})
        answer = INITIATE if "uploads" in self.path else b""
        self.send_response(202 if "restore" in self.path else 200)
        self.send_header("x-oss-request-id", "5C3D9175B6FC201293AD****")
        self.send_header("ETag", '"D41D8CD98F00B204E9800998ECF8427E"')
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    do_PUT = do_POST = handle_one


def client(port):
    cfg = oss.config.load_default()
    cfg.credentials_provider = StaticCredentialsProvider("LTAI5tExampleAccessKeyId", "ExampleAccessKeySecret")
    cfg.region = "cn-hangzhou"
    cfg.endpoint = "http://127.0.0.1:%d" % port
    cfg.use_path_style = True
    return oss.Client(cfg)


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Capture)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    c = client(server.server_address[1])
    encryptions = [(None, None), ("AES256", None), ("KMS", None), ("KMS", "9468da86-3509-4f8d-a61e-6eab1eac****")]
    cases = []
    for storage_class in ["Standard", "IA", "Archive", "ColdArchive"]:
        for sse, key_id in encryptions:
            for operation in ["PutObject", "InitiateMultipartUpload"]:
                CAPTURED.clear()
                args = dict(bucket="examplebucket", key="nightly/db.sql.gz", storage_class=storage_class,
                            server_side_encryption=sse, server_side_encryption_key_id=key_id)
                if operation == "PutObject":
                    c.put_object(oss.PutObjectRequest(body=b"backup bytes", **args))
                else:
                    c.initiate_multipart_upload(oss.InitiateMultipartUploadRequest(**args))
                headers = CAPTURED[-1]["headers"]
                cases.append({"operation": operation, "storageClass": storage_class, "serverSideEncryption": sse,
                              "kmsKeyId": key_id, "headers": {k: headers[k] for k in KEPT if k in headers}})
    restores = []
    for days in [1, 7]:
        CAPTURED.clear()
        c.restore_object(oss.RestoreObjectRequest(bucket="examplebucket", key="nightly/db.sql.gz",
                                                  restore_request=oss.RestoreRequest(days=days)))
        got = CAPTURED[-1]
        restores.append({"days": days, "method": got["method"], "path": got["path"], "body": got["body"]})
    lifecycles = []
    for prefix, days, storage_class in [("nightly/", 30, "IA"), ("db/", 90, "Archive"), ("", 180, "ColdArchive")]:
        CAPTURED.clear()
        rule_id = "vaultops-transition-" + (prefix.rstrip("/") or "all")
        c.put_bucket_lifecycle(oss.PutBucketLifecycleRequest(
            bucket="examplebucket", lifecycle_configuration=oss.LifecycleConfiguration(rules=[oss.LifecycleRule(
                id=rule_id, prefix=prefix, status="Enabled",
                transitions=[oss.LifecycleRuleTransition(days=days, storage_class=storage_class)])])))
        got = CAPTURED[-1]
        lifecycles.append({"id": rule_id, "prefix": prefix, "days": days, "storageClass": storage_class,
                           "method": got["method"], "path": got["path"], "body": got["body"]})
    out = {"lifecycles": lifecycles, "sdk": "alibabacloud-oss-v2 " + oss.__version__ if hasattr(oss, "__version__") else "alibabacloud-oss-v2",
           "objects": cases, "restores": restores}
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "object-header-vectors.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")
    print("wrote %d object cases and %d restores to %s" % (len(cases), len(restores), path))


if __name__ == "__main__":
    main()
