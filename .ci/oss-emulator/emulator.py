#!/usr/bin/env python3
"""A local Alibaba Cloud OSS emulator for vaultops' tests.

Speaks the subset of the OSS REST API that vaultops uses, with OSS's rules, and checks every request's
V1 or V4 signature by recomputing it with the official SDK's signer (alibabacloud-oss-v2's SignerV1 and
SignerV4); a mismatch gets OSS's 403 SignatureDoesNotMatch error XML. Objects are stored on disk.

APIs: PutObject, GetObject (Range, If-Match), HeadObject, DeleteObject, DeleteMultipleObjects,
ListObjectsV2 (pagination, prefix, delimiter, encoding-type=url), InitiateMultipartUpload, UploadPart,
ListParts, CompleteMultipartUpload, AbortMultipartUpload, ListMultipartUploads, RestoreObject,
GetBucketLifecycle and PutBucketLifecycle (rules checked and kept; OSS's own transitions are not simulated).
Storage classes (x-oss-storage-class on PutObject and InitiateMultipartUpload; Standard, IA, Archive,
ColdArchive): listed and returned by HeadObject; GetObject of an Archive/ColdArchive object answers 403
InvalidObjectState until RestoreObject (202, then 409 RestoreAlreadyInProgress while it runs) has finished
(x-oss-restore: ongoing-request="true", then "false" with an expiry-date), after 2 seconds (or a bucket's
own delay, set with POST /__emulator/restore-delay?bucket=B&seconds=S). Server-side encryption
(x-oss-server-side-encryption AES256|KMS, x-oss-server-side-encryption-key-id with KMS) is checked,
kept and returned as OSS does.
Addressing: virtual-hosted (`bucket.localhost:port`) and path style (`127.0.0.1:port/bucket/key`).

Test control (unsigned, loopback only), under /__emulator/:
  PUT    /__emulator/buckets/NAME           create a bucket
  POST   /__emulator/faults                 add a fault: JSON {bucket, op ("*" or an API name), action:
                                             "status" (status, code) | "reset" (after_bytes) | "slow"
                                             (seconds) | "wrong-crc" | "skew", times, part (optional),
                                             key_suffix (optional: only keys that end so)}
  POST   /__emulator/release?bucket=NAME    end the "slow" waits of the bucket's requests now (a test holds a
                                             request with a long "slow" and lets it go when it is done)
  GET    /__emulator/log?bucket=NAME        the requests a bucket received, as JSON
  GET    /__emulator/concurrency?bucket=NAME  {"peak": most requests the bucket had in progress at once,
                                             "active": how many it has in progress now}
  POST   /__emulator/backdate?bucket=B&seconds=S   make the bucket's multipart uploads look S seconds older
  POST   /__emulator/seed?bucket=B          create the keys in the JSON list body (each object's body is its key)
  POST   /__emulator/worm?bucket=B           put the key prefixes in the JSON list body under a retention policy
                                             (WORM): DeleteObject answers 409 FileImmutable, DeleteMultipleObjects
                                             leaves them (and does not list them as deleted)
  POST   /__emulator/metadata               start a mock ECS metadata service (ecs_metadata.py) whose rotating STS
                                             credentials this emulator accepts until they expire: JSON {roles: {NAME:
                                             lifetime seconds}, attached: NAME, mode: both|v2-only|v1-only}; answers
                                             {"endpoint": "http://127.0.0.1:PORT"}
  GET    /__emulator/health
"""
import argparse
import base64
import datetime
import hashlib
import json
import os
import re
import shutil
import socket
import sys
import threading
import time
import uuid
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, unquote, urlsplit
from xml.sax.saxutils import escape
import xml.etree.ElementTree as ET

import crcmod
import ecs_metadata
from object_features import ARCHIVED, ObjectFeatures, OSSError
from alibabacloud_oss_v2.credentials import StaticCredentialsProvider
from alibabacloud_oss_v2.signer import SignerV1, SignerV4
from alibabacloud_oss_v2.types import HttpRequest, SigningContext

MIN_PART_SIZE = 100 * 1024
MAX_PARTS = 10000
MAX_KEYS = 1000
MAX_DELETE = 1000
SKEW_LIMIT = 15 * 60


def new_crc64():
    return crcmod.Crc(0x142F0E1EBA9EA3693, initCrc=0, rev=True, xorOut=0xFFFFFFFFFFFFFFFF)


def crc64_combine_fun():
    from oss2.crc64_combine import mkCombineFun
    return mkCombineFun(0x142F0E1EBA9EA3693, initCrc=0, rev=True, xorOut=0xFFFFFFFFFFFFFFFF)


def iso(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class Store:
    """Buckets, objects and multipart uploads; objects on disk, the index in memory."""

    def __init__(self, root):
        self.root = root
        self.lock = threading.RLock()
        self.buckets = {}      # name -> {key: meta}
        self.uploads = {}      # upload id -> {bucket, key, initiated, parts: {n: meta}}
        self.faults = []
        self.log = {}          # bucket -> [entries]
        self.active = {}       # bucket -> requests in progress
        self.peak = {}         # bucket -> most requests in progress at once
        self.holds = {}        # bucket -> Event that ends the "slow" waits of its requests (POST release)
        self.restore_delay = {}  # bucket -> seconds a RestoreObject takes
        self.lifecycle = {}    # bucket -> lifecycle configuration XML
        self.worm = {}         # bucket -> key prefixes under a retention policy (WORM)
        self.default_restore_delay = 2.0

    def path(self, *parts):
        p = os.path.join(self.root, *parts)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        return p

    def bucket(self, name):
        with self.lock:
            if name not in self.buckets:
                raise OSSError(404, "NoSuchBucket", "The specified bucket does not exist.", BucketName=name)
            return self.buckets[name]

    def hold(self, bucket):
        """The event a "slow" request of `bucket` waits on (at most its seconds)."""
        with self.lock:
            return self.holds.setdefault(bucket, threading.Event())

    def release(self, bucket):
        """Ends the waits of the bucket's "slow" requests; later ones wait again."""
        with self.lock:
            event = self.holds.pop(bucket, None)
        if event:
            event.set()

    def create_bucket(self, name):
        with self.lock:
            self.buckets.setdefault(name, {})
            self.log.setdefault(name, [])

    def take_fault(self, bucket, op, part, key=None):
        with self.lock:
            for f in self.faults:
                if f.get("bucket") not in (None, bucket):
                    continue
                if f.get("op", "*") not in ("*", op):
                    continue
                if f.get("part") is not None and str(f.get("part")) != str(part):
                    continue
                if f.get("key_suffix") is not None and not (key or "").endswith(f["key_suffix"]):
                    continue
                if f.get("times", 1) <= 0:
                    continue
                f["times"] = f.get("times", 1) - 1
                return dict(f)
        return None


class Handler(ObjectFeatures, BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "AliyunOSS"
    store: Store = None
    credentials = {}    # access key id -> (secret, token or None, expires at or None)
    region = "cn-hangzhou"

    def setup(self):
        super().setup()
        # Headers and body go out in separate writes; with Nagle on, the body waits for the client's delayed
        # ACK (~40 ms per GET on loopback), which real OSS does not do. Send each write at once.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):  # quiet: the request log is the record
        if os.environ.get("OSS_EMULATOR_VERBOSE"):
            sys.stderr.write("emulator: " + (fmt % args) + "\n")

    # ------------------------------------------------------------------ plumbing

    def do_GET(self): self.dispatch()
    def do_PUT(self): self.dispatch()
    def do_POST(self): self.dispatch()
    def do_DELETE(self): self.dispatch()
    def do_HEAD(self): self.dispatch()

    def dispatch(self):
        self.request_id = uuid.uuid4().hex[:24].upper()
        self.recorded = False
        self.error_code = None
        self.counted = None
        self.body_consumed = False
        self.bucket_name = None
        self.op = "?"
        self.part = None
        try:
            parts = urlsplit(self.path)
            if parts.path.startswith("/__emulator/"):
                return self.control(parts)
            self.raw_query = parts.query
            self.query = {}
            self.query_list = []
            if parts.query:
                for pair in parts.query.split("&"):
                    k, _, v = pair.partition("=")
                    k, v = unquote(k), unquote(v)
                    self.query[k] = v
                    self.query_list.append((k, v))
            host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
            path = unquote(parts.path)
            if host.endswith(".localhost") and host != "localhost":
                bucket = host[: -len(".localhost")]
                key = path[1:]
            else:
                segs = path[1:].split("/", 1)
                bucket = segs[0] or None
                key = segs[1] if len(segs) > 1 else ""
            self.bucket_name, self.key = bucket, key
            self.op = self.operation()
            self.part = self.query.get("partNumber")
            with self.store.lock:
                self.store.active[bucket] = self.store.active.get(bucket, 0) + 1
                self.store.peak[bucket] = max(self.store.peak.get(bucket, 0), self.store.active[bucket])
                self.counted = bucket
            fault = self.store.take_fault(bucket, self.op, self.part, key)
            if fault and fault["action"] == "slow":
                self.store.hold(bucket).wait(float(fault.get("seconds", 2)))
                fault = None
            self.verify_signature(fault)
            if fault and fault["action"] == "status":
                self.drain()
                raise OSSError(int(fault.get("status", 500)), fault.get("code", "InternalError"),
                               fault.get("message", "We encountered an internal error. Please try again."))
            if fault and fault["action"] == "reset" and self.command in ("PUT", "POST"):
                n = int(fault.get("after_bytes", 1024))
                self.rfile.read(min(n, int(self.headers.get("Content-Length") or 0)))
                return self.reset()
            self.fault = fault
            handler = getattr(self, "op_" + self.op)
            handler()
        except OSSError as e:
            self.send_error_xml(e)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            self.record(getattr(self, "status_sent", None))
            if self.counted is not None:
                with self.store.lock:
                    self.store.active[self.counted] -= 1

    def record(self, status):
        # Logged before the answer goes out, so a client that has its answer always finds its request logged.
        if getattr(self, "recorded", False) or self.bucket_name is None or self.bucket_name not in self.store.log:
            return
        self.recorded = True
        with self.store.lock:
            self.store.log[self.bucket_name].append(
                {"op": self.op, "method": self.command, "key": getattr(self, "key", None), "part": self.part,
                 "status": status, "code": getattr(self, "error_code", None)})

    def operation(self):
        q, m, key = self.query, self.command, self.key
        if not self.bucket_name:
            raise OSSError(400, "InvalidRequest", "This emulator serves bucket requests only.")
        if key == "":
            if m == "GET" and "lifecycle" in q: return "GetBucketLifecycle"
            if m == "PUT" and "lifecycle" in q: return "PutBucketLifecycle"
            if m == "GET" and "uploads" in q: return "ListMultipartUploads"
            if m == "GET": return "ListObjectsV2" if q.get("list-type") == "2" else "ListObjects"
            if m == "POST" and "delete" in q: return "DeleteMultipleObjects"
            raise OSSError(405, "MethodNotAllowed", "The specified method is not allowed against this resource.")
        if m == "POST" and "uploads" in q: return "InitiateMultipartUpload"
        if m == "PUT" and "uploadId" in q: return "UploadPart"
        if m == "GET" and "uploadId" in q: return "ListParts"
        if m == "POST" and "uploadId" in q: return "CompleteMultipartUpload"
        if m == "DELETE" and "uploadId" in q: return "AbortMultipartUpload"
        if m == "POST" and "restore" in q: return "RestoreObject"
        return {"PUT": "PutObject", "GET": "GetObject", "HEAD": "HeadObject", "DELETE": "DeleteObject"}.get(m, "Unknown")

    def reset(self):
        # An abrupt close with RST, as a dropped connection looks to the client.
        import struct
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.status_sent = "reset"
        self.record("reset")
        try:
            self.connection.close()
        except OSError:
            pass

    def chunked(self):
        return "chunked" in (self.headers.get("Transfer-Encoding") or "").lower()

    def read_chunked(self):
        # The Python SDKs send some bodies (an empty one, a file object) with chunked transfer encoding.
        out = bytearray()
        while True:
            line = self.rfile.readline(65537)
            size = int(line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                    pass
                return bytes(out)
            out += self.rfile.read(size)
            self.rfile.readline(3)

    def drain(self):
        if self.body_consumed:
            return
        self.body_consumed = True
        if self.chunked():
            self.read_chunked()
            return
        n = int(self.headers.get("Content-Length") or 0)
        while n > 0:
            chunk = self.rfile.read(min(n, 1 << 20))
            if not chunk:
                break
            n -= len(chunk)

    def read_body(self):
        self.body_consumed = True
        if self.chunked():
            return self.read_chunked()
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def send(self, status, body=b"", headers=None, content_type="application/xml"):
        self.drain()
        self.status_sent = status
        self.record(status)
        self.send_response(status)
        self.send_header("x-oss-request-id", self.request_id)
        self.send_header("Date", format_datetime(datetime.datetime.now(datetime.timezone.utc), True))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if body is not None and "Content-Length" not in (headers or {}):
            self.send_header("Content-Length", str(len(body)))
        if body and content_type:
            self.send_header("Content-Type", content_type)
        self.end_headers()
        if body and self.command != "HEAD":
            self.wfile.write(body)

    def send_error_xml(self, e):
        self.error_code = e.code
        extra = "".join("<%s>%s</%s>" % (k, escape(str(v)), k) for k, v in e.extra.items())
        body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n  <Code>%s</Code>\n  <Message>%s</Message>\n'
                '  <RequestId>%s</RequestId>\n  <HostId>%s</HostId>%s\n</Error>\n'
                % (e.code, escape(e.message), self.request_id, escape(self.headers.get("Host") or ""), extra)).encode()
        self.close_connection = self.close_connection or not self.body_consumed and int(self.headers.get("Content-Length") or 0) > (8 << 20)
        self.send(e.status, body, {"x-oss-ec": "0000-00000000"})

    def xml(self, status, text, headers=None):
        self.send(status, ('<?xml version="1.0" encoding="UTF-8"?>\n' + text).encode(), headers)

    # ------------------------------------------------------------------ signatures

    def verify_signature(self, fault):
        auth = self.headers.get("Authorization")
        q = self.query
        now = time.time()
        if auth and auth.startswith("OSS4-HMAC-SHA256 "):
            return self.verify_v4_header(auth, fault, now)
        if auth and auth.startswith("OSS "):
            return self.verify_v1_header(auth, fault, now)
        if "x-oss-signature" in q:
            return self.verify_v4_query(now)
        if "Signature" in q:
            return self.verify_v1_query(now)
        raise OSSError(403, "AccessDenied", "You have no right to access this object because of bucket acl.")

    def secret_for(self, ak, token):
        if ak not in self.credentials:
            raise OSSError(403, "InvalidAccessKeyId", "The OSS Access Key Id you provided does not exist in our records.",
                           OSSAccessKeyId=ak)
        secret, want_token, expires = self.credentials[ak]
        if want_token is not None and token != want_token:
            raise OSSError(403, "InvalidSecurityToken", "The security token you provided is invalid.")
        if expires is not None and time.time() >= expires:
            raise OSSError(403, "SecurityTokenExpired", "The security token you provided has expired.")
        return secret

    def check_skew(self, signed_at, fault, now):
        skewed = fault is not None and fault["action"] == "skew"
        if skewed or abs(now - signed_at) > SKEW_LIMIT:
            if fault is not None and skewed:
                self.fault_consumed = True
            raise OSSError(403, "RequestTimeTooSkewed",
                           "The difference between the request time and the current time is too large.",
                           RequestTime=iso(signed_at), ServerTime=iso(now))

    def sdk_request(self, url_query):
        scheme_host = "http://" + (self.headers.get("Host") or "localhost")
        path = urlsplit(self.path).path
        request = HttpRequest(self.command, scheme_host + path + ("?" + url_query if url_query else ""))
        for k, v in self.headers.items():
            if k.lower() != "authorization":
                request.headers[k] = v
        return request

    def signing_key_name(self):
        return self.key if self.key != "" else None

    def reject(self, string_to_sign):
        raise OSSError(403, "SignatureDoesNotMatch",
                       "The request signature we calculated does not match the signature you provided. "
                       "Check your key and signing method.", StringToSign=string_to_sign)

    def verify_v4_header(self, auth, fault, now):
        fields = dict(p.strip().split("=", 1) for p in auth[len("OSS4-HMAC-SHA256 "):].split(",") if "=" in p)
        cred = fields.get("Credential", "")
        ak, _, scope = cred.partition("/")
        scope_parts = scope.split("/")
        if len(scope_parts) != 4 or scope_parts[2] != "oss" or scope_parts[3] != "aliyun_v4_request":
            raise OSSError(400, "InvalidArgument", "Invalid credential in Authorization header: %s" % cred)
        if scope_parts[1] != self.region:
            raise OSSError(400, "InvalidArgument", "Invalid signing region in Authorization header: %s" % scope_parts[1])
        token = self.headers.get("x-oss-security-token")
        secret = self.secret_for(ak, token)
        stamp = self.headers.get("x-oss-date", "")
        try:
            signed_at = datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        except ValueError:
            raise OSSError(403, "AccessDenied", "Invalid x-oss-date: %r" % stamp)
        self.check_skew(signed_at.timestamp(), fault, now)
        additional = set(h for h in fields.get("AdditionalHeaders", "").split(";") if h)
        request = self.sdk_request(self.raw_query)
        ctx = SigningContext(product="oss", region=self.region, bucket=self.bucket_name, key=self.signing_key_name(),
                             request=request, credentials=StaticCredentialsProvider(ak, secret, token).get_credentials(),
                             signing_time=signed_at, additional_headers=additional or None)
        SignerV4().sign(ctx)
        want = request.headers.get("Authorization")
        got = "OSS4-HMAC-SHA256 " + ",".join(p.strip() for p in auth[len("OSS4-HMAC-SHA256 "):].split(","))
        if want != got:
            self.reject(ctx.string_to_sign)

    def verify_v1_header(self, auth, fault, now):
        ak, _, _sig = auth[4:].partition(":")
        token = self.headers.get("x-oss-security-token")
        secret = self.secret_for(ak, token)
        date = self.headers.get("x-oss-date") or self.headers.get("Date") or ""
        try:
            signed_at = parsedate_to_datetime(date)
        except (TypeError, ValueError):
            raise OSSError(403, "AccessDenied", "Invalid Date header: %r" % date)
        self.check_skew(signed_at.timestamp(), fault, now)
        request = self.sdk_request(self.raw_query)
        ctx = SigningContext(bucket=self.bucket_name, key=self.signing_key_name(), request=request,
                             credentials=StaticCredentialsProvider(ak, secret).get_credentials(), signing_time=signed_at)
        SignerV1().sign(ctx)
        if request.headers.get("Authorization") != auth:
            self.reject(ctx.string_to_sign)

    def verify_v4_query(self, now):
        q = self.query
        ak, _, scope = q.get("x-oss-credential", "").partition("/")
        secret = self.secret_for(ak, q.get("x-oss-security-token"))
        signed_at = datetime.datetime.strptime(q.get("x-oss-date", ""), "%Y%m%dT%H%M%SZ").replace(tzinfo=datetime.timezone.utc)
        expires = int(q.get("x-oss-expires", "0"))
        if now > signed_at.timestamp() + expires:
            raise OSSError(403, "AccessDenied", "Request has expired.")
        additional = set(h for h in q.get("x-oss-additional-headers", "").split(";") if h)
        request = self.sdk_request(self.raw_query)
        ctx = SigningContext(product="oss", region=scope.split("/")[1] if "/" in scope else self.region,
                             bucket=self.bucket_name, key=self.signing_key_name(), request=request,
                             credentials=StaticCredentialsProvider(ak, secret, q.get("x-oss-security-token")).get_credentials(),
                             signing_time=signed_at, additional_headers=additional or None)
        ctx.auth_method_query = True
        ctx.expiration_time = signed_at + datetime.timedelta(seconds=expires)
        SignerV4().sign(ctx)
        want = dict(p.partition("=")[::2] for p in urlsplit(request.url).query.split("&")).get("x-oss-signature")
        if unquote(want or "") != q.get("x-oss-signature"):
            self.reject(ctx.string_to_sign)

    def verify_v1_query(self, now):
        q = self.query
        ak = q.get("OSSAccessKeyId", "")
        secret = self.secret_for(ak, q.get("security-token"))
        expires = int(q.get("Expires", "0"))
        if now > expires:
            raise OSSError(403, "AccessDenied", "Request has expired.")
        request = self.sdk_request(self.raw_query)
        ctx = SigningContext(bucket=self.bucket_name, key=self.signing_key_name(), request=request,
                             credentials=StaticCredentialsProvider(ak, secret, q.get("security-token")).get_credentials())
        ctx.auth_method_query = True
        ctx.expiration_time = datetime.datetime.fromtimestamp(expires, datetime.timezone.utc)
        SignerV1().sign(ctx)
        want = dict(p.partition("=")[::2] for p in urlsplit(request.url).query.split("&")).get("Signature")
        if unquote(want or "") != q.get("Signature"):
            self.reject(ctx.string_to_sign)

    # ------------------------------------------------------------------ objects

    def object_path(self, bucket, key):
        return self.store.path("objects", bucket, hashlib.sha256(key.encode()).hexdigest())

    def check_md5(self, body):
        md5 = self.headers.get("Content-MD5")
        if md5 is not None:
            try:
                want = base64.b64decode(md5, validate=True)
            except Exception:
                raise OSSError(400, "InvalidDigest", "The Content-MD5 you specified was invalid.")
            if len(want) != 16:
                raise OSSError(400, "InvalidDigest", "The Content-MD5 you specified was invalid.")
            if hashlib.md5(body).digest() != want:
                raise OSSError(400, "InvalidDigest", "The Content-MD5 you specified did not match what we received.")

    def crc_header(self, crc):
        if self.fault and self.fault["action"] == "wrong-crc":
            crc ^= 0x5A5A
        return str(crc)

    def check_forbid_overwrite(self, bucket):
        if (self.headers.get("x-oss-forbid-overwrite") or "").lower() == "true":
            with self.store.lock:
                exists = self.key in bucket
            if exists:
                raise OSSError(409, "FileAlreadyExists", "The object you specified already exists and can not be overwritten.")

    def op_PutObject(self):
        bucket = self.store.bucket(self.bucket_name)
        self.check_forbid_overwrite(bucket)
        attrs = self.write_attributes()
        body = self.read_body()
        self.check_md5(body)
        c = new_crc64(); c.update(body)
        etag = hashlib.md5(body).hexdigest().upper()
        path = self.object_path(self.bucket_name, self.key)
        tmp = path + ".tmp-" + uuid.uuid4().hex
        with open(tmp, "wb") as f:
            f.write(body)
        os.replace(tmp, path)
        with self.store.lock:
            bucket[self.key] = dict({"size": len(body), "etag": etag, "crc": c.crcValue, "mtime": time.time(),
                                     "type": self.headers.get("Content-Type") or "application/octet-stream", "path": path}, **attrs)
        self.send(200, b"", dict({"ETag": '"%s"' % etag, "x-oss-hash-crc64ecma": self.crc_header(c.crcValue)},
                                 **self.encryption_headers(attrs)))

    def get_meta(self):
        bucket = self.store.bucket(self.bucket_name)
        with self.store.lock:
            meta = bucket.get(self.key)
        if meta is None:
            raise OSSError(404, "NoSuchKey", "The specified key does not exist.", Key=self.key)
        if_match = self.headers.get("If-Match")
        if if_match and if_match.strip('"') != meta["etag"]:
            raise OSSError(412, "PreconditionFailed", "At least one of the pre-conditions you specified did not hold.")
        return meta

    def object_headers(self, meta):
        h = {"ETag": '"%s"' % meta["etag"], "x-oss-hash-crc64ecma": self.crc_header(meta["crc"]),
             "Last-Modified": format_datetime(datetime.datetime.fromtimestamp(meta["mtime"], datetime.timezone.utc), True),
             "Content-Type": meta["type"], "Accept-Ranges": "bytes", "x-oss-object-type": meta.get("kind", "Normal"),
             "x-oss-storage-class": meta.get("class", "Standard")}
        state = self.restore_state(meta)
        if state == "ongoing":
            h["x-oss-restore"] = 'ongoing-request="true"'
        elif state == "done":
            expiry = meta["restore_ready"] + 86400 * meta.get("restore_days", 1)
            h["x-oss-restore"] = 'ongoing-request="false", expiry-date="%s"' % format_datetime(
                datetime.datetime.fromtimestamp(expiry, datetime.timezone.utc), True)
        h.update(self.encryption_headers(meta))
        return h

    def op_HeadObject(self):
        meta = self.get_meta()
        h = self.object_headers(meta)
        h["Content-Length"] = str(meta["size"])
        self.send(200, None, h, content_type=None)

    def op_GetObject(self):
        meta = self.get_meta()
        if meta.get("class", "Standard") in ARCHIVED and self.restore_state(meta) != "done":
            raise OSSError(403, "InvalidObjectState", "The operation is not valid for the object's state")
        size = meta["size"]
        start, end = 0, size - 1
        status = 200
        h = self.object_headers(meta)
        rng = self.headers.get("Range")
        if rng:
            m = re.fullmatch(r"bytes=(\d*)-(\d*)", rng.strip())
            if m and (m.group(1) or m.group(2)):
                if m.group(1):
                    start = int(m.group(1))
                    end = int(m.group(2)) if m.group(2) else size - 1
                else:
                    start = max(0, size - int(m.group(2)))
                end = min(end, size - 1)
                if start >= size or start > end:
                    raise OSSError(416, "InvalidRange", "The requested range cannot be satisfied.")
                status = 206
                h["Content-Range"] = "bytes %d-%d/%d" % (start, end, size)
        length = end - start + 1 if size else 0
        h["Content-Length"] = str(length)
        self.drain()
        self.status_sent = status
        self.record(status)
        self.send_response(status)
        self.send_header("x-oss-request-id", self.request_id)
        for k, v in h.items():
            self.send_header(k, v)
        self.end_headers()
        cut = None
        if self.fault and self.fault["action"] == "reset":
            cut = int(self.fault.get("after_bytes", length // 2))
        sent = 0
        with open(meta["path"], "rb") as f:
            f.seek(start)
            while sent < length:
                n = min(1 << 20, length - sent)
                if cut is not None and sent + n > cut:
                    n = cut - sent
                    if n > 0:
                        self.wfile.write(f.read(n))
                        self.wfile.flush()
                    return self.reset()
                self.wfile.write(f.read(n))
                sent += n

    def op_DeleteObject(self):
        bucket = self.store.bucket(self.bucket_name)
        if self.key in bucket and self.retained(self.key):
            raise OSSError(409, "FileImmutable", "Please check retention policy.")
        with self.store.lock:
            meta = bucket.pop(self.key, None)
        if meta:
            try:
                os.unlink(meta["path"])
            except FileNotFoundError:
                pass
        self.send(204)

    def op_DeleteMultipleObjects(self):
        bucket = self.store.bucket(self.bucket_name)
        body = self.read_body()
        if self.headers.get("Content-MD5") is None:
            raise OSSError(400, "InvalidDigest", "Missing Content-MD5 for DeleteMultipleObjects.")
        self.check_md5(body)
        try:
            root = ET.fromstring(body)
        except ET.ParseError:
            raise OSSError(400, "MalformedXML", "The XML you provided was not well-formed.")
        url_encoded = self.query.get("encoding-type") == "url"
        # encoding-type=url only encodes the keys in the answer; the request's keys are plain XML text.
        keys = [o.findtext("Key") or "" for o in root.findall("Object")]
        if not keys or len(keys) > MAX_DELETE:
            raise OSSError(400, "MalformedXML", "A delete request must name between 1 and %d objects." % MAX_DELETE)
        quiet = (root.findtext("Quiet") or "false").lower() == "true"
        deleted = []
        with self.store.lock:
            for k in keys:
                # A retained object is not deleted, and not listed as deleted: the answer is still 200.
                if k in bucket and self.retained(k):
                    continue
                meta = bucket.pop(k, None)
                if meta:
                    try:
                        os.unlink(meta["path"])
                    except FileNotFoundError:
                        pass
                deleted.append(k)
        out = "<DeleteResult>"
        if not quiet:
            for k in deleted:
                out += "<Deleted><Key>%s</Key></Deleted>" % escape(quote(k) if url_encoded else k)
        if url_encoded:
            out += "<EncodingType>url</EncodingType>"
        out += "</DeleteResult>"
        self.xml(200, out)

    def op_ListObjectsV2(self):
        bucket = self.store.bucket(self.bucket_name)
        q = self.query
        prefix = q.get("prefix", "")
        delimiter = q.get("delimiter", "")
        max_keys = int(q.get("max-keys", "100") or 100)
        if max_keys < 1 or max_keys > MAX_KEYS:
            raise OSSError(400, "InvalidArgument", "max-keys must be between 1 and %d." % MAX_KEYS)
        token = q.get("continuation-token")
        after = q.get("start-after", "")
        if token:
            try:
                after = max(after, base64.urlsafe_b64decode(token.encode()).decode())
            except Exception:
                raise OSSError(400, "InvalidArgument", "The continuation token provided is incorrect.")
        url_encoded = q.get("encoding-type") == "url"
        enc = (lambda s: quote(s, safe="")) if url_encoded else (lambda s: s)
        with self.store.lock:
            keys = sorted(k for k in bucket if k.startswith(prefix) and k > after)
            entries, prefixes, last, truncated = [], [], None, False
            for k in keys:
                if delimiter:
                    rest = k[len(prefix):]
                    i = rest.find(delimiter)
                    if i >= 0:
                        cp = prefix + rest[: i + len(delimiter)]
                        if cp <= after:
                            continue
                        if prefixes and prefixes[-1] == cp:
                            continue
                        if len(entries) + len(prefixes) >= max_keys:
                            truncated = True
                            break
                        prefixes.append(cp)
                        last = cp + "\uffff"
                        continue
                if len(entries) + len(prefixes) >= max_keys:
                    truncated = True
                    break
                entries.append((k, dict(bucket[k])))
                last = k
        out = ["<ListBucketResult><Name>%s</Name><Prefix>%s</Prefix><MaxKeys>%d</MaxKeys><Delimiter>%s</Delimiter>"
               % (escape(self.bucket_name), escape(enc(prefix)), max_keys, escape(enc(delimiter)))]
        if url_encoded:
            out.append("<EncodingType>url</EncodingType>")
        if token:
            out.append("<ContinuationToken>%s</ContinuationToken>" % escape(token))
        out.append("<IsTruncated>%s</IsTruncated><KeyCount>%d</KeyCount>" % ("true" if truncated else "false", len(entries) + len(prefixes)))
        if truncated:
            out.append("<NextContinuationToken>%s</NextContinuationToken>" % base64.urlsafe_b64encode(last.encode()).decode())
        for k, m in entries:
            out.append("<Contents><Key>%s</Key><LastModified>%s</LastModified><ETag>\"%s\"</ETag><Type>%s</Type>"
                       "<Size>%d</Size><StorageClass>%s</StorageClass></Contents>"
                       % (escape(enc(k)), iso(m["mtime"]), m["etag"], m.get("kind", "Normal"), m["size"],
                          m.get("class", "Standard")))
        for p in prefixes:
            out.append("<CommonPrefixes><Prefix>%s</Prefix></CommonPrefixes>" % escape(enc(p)))
        out.append("</ListBucketResult>")
        self.xml(200, "".join(out))

    def op_ListObjects(self):
        raise OSSError(400, "NotImplemented", "Use ListObjectsV2 (list-type=2) with this emulator.")

    # ------------------------------------------------------------------ multipart

    def upload(self):
        uid = self.query.get("uploadId", "")
        with self.store.lock:
            up = self.store.uploads.get(uid)
        if up is None or up["bucket"] != self.bucket_name or up["key"] != self.key:
            raise OSSError(404, "NoSuchUpload", "The specified upload does not exist. The upload ID may be invalid, "
                           "or the upload may have been aborted or completed.", UploadId=uid)
        return uid, up

    def op_InitiateMultipartUpload(self):
        self.check_forbid_overwrite(self.store.bucket(self.bucket_name))
        attrs = self.write_attributes()
        self.drain()
        uid = uuid.uuid4().hex.upper()
        with self.store.lock:
            self.store.uploads[uid] = {"bucket": self.bucket_name, "key": self.key, "initiated": time.time(), "parts": {},
                                       "type": self.headers.get("Content-Type") or "application/octet-stream", "attrs": attrs}
        self.xml(200, "<InitiateMultipartUploadResult><Bucket>%s</Bucket><Key>%s</Key><UploadId>%s</UploadId>"
                 "</InitiateMultipartUploadResult>" % (escape(self.bucket_name), escape(self.key), uid))

    def op_UploadPart(self):
        uid, up = self.upload()
        try:
            n = int(self.query.get("partNumber", ""))
        except ValueError:
            n = 0
        if n < 1 or n > MAX_PARTS:
            raise OSSError(400, "InvalidArgument", "Part number must be an integer between 1 and %d." % MAX_PARTS)
        body = self.read_body()
        self.check_md5(body)
        c = new_crc64(); c.update(body)
        etag = hashlib.md5(body).hexdigest().upper()
        path = self.store.path("uploads", uid, str(n))
        tmp = path + ".tmp-" + uuid.uuid4().hex
        with open(tmp, "wb") as f:
            f.write(body)
        os.replace(tmp, path)
        with self.store.lock:
            up["parts"][n] = {"size": len(body), "etag": etag, "crc": c.crcValue, "mtime": time.time(), "path": path}
        self.send(200, b"", {"ETag": '"%s"' % etag, "x-oss-hash-crc64ecma": self.crc_header(c.crcValue)})

    def op_ListParts(self):
        uid, up = self.upload()
        marker = int(self.query.get("part-number-marker", "0") or 0)
        max_parts = int(self.query.get("max-parts", "1000") or 1000)
        with self.store.lock:
            nums = sorted(n for n in up["parts"] if n > marker)
            page = nums[:max_parts]
            parts = [(n, dict(up["parts"][n])) for n in page]
        truncated = len(nums) > len(page)
        out = ["<ListPartsResult><Bucket>%s</Bucket><Key>%s</Key><UploadId>%s</UploadId><PartNumberMarker>%d</PartNumberMarker>"
               % (escape(self.bucket_name), escape(self.key), uid, marker)]
        out.append("<NextPartNumberMarker>%d</NextPartNumberMarker><MaxParts>%d</MaxParts><IsTruncated>%s</IsTruncated>"
                   % (page[-1] if page else marker, max_parts, "true" if truncated else "false"))
        for n, p in parts:
            out.append("<Part><PartNumber>%d</PartNumber><LastModified>%s</LastModified><ETag>\"%s\"</ETag><HashCrc64ecma>%d</HashCrc64ecma><Size>%d</Size></Part>"
                       % (n, iso(p["mtime"]), p["etag"], p["crc"], p["size"]))
        out.append("</ListPartsResult>")
        self.xml(200, "".join(out))

    def op_CompleteMultipartUpload(self):
        uid, up = self.upload()
        self.check_forbid_overwrite(self.store.bucket(self.bucket_name))
        body = self.read_body()
        try:
            root = ET.fromstring(body)
        except ET.ParseError:
            raise OSSError(400, "MalformedXML", "The XML you provided was not well-formed.")
        listed = []
        for p in root.findall("Part"):
            try:
                listed.append((int(p.findtext("PartNumber")), (p.findtext("ETag") or "").strip().strip('"').upper()))
            except (TypeError, ValueError):
                raise OSSError(400, "MalformedXML", "Bad PartNumber in CompleteMultipartUpload.")
        if not listed:
            raise OSSError(400, "MalformedXML", "CompleteMultipartUpload lists no parts.")
        if len(listed) > MAX_PARTS:
            raise OSSError(400, "InvalidArgument", "An object may have at most %d parts." % MAX_PARTS)
        if [n for n, _ in listed] != sorted(set(n for n, _ in listed)):
            raise OSSError(400, "InvalidPartOrder", "The list of parts was not in ascending order.")
        with self.store.lock:
            parts = []
            for n, etag in listed:
                p = up["parts"].get(n)
                if p is None or p["etag"] != etag:
                    raise OSSError(400, "InvalidPart", "One or more of the specified parts could not be found or the "
                                   "specified entity tag might not have matched the part's entity tag.", PartNumber=n)
                parts.append(p)
            for p in parts[:-1]:
                if p["size"] < MIN_PART_SIZE:
                    raise OSSError(400, "EntityTooSmall", "Your proposed upload is smaller than the minimum allowed size.")
        path = self.object_path(self.bucket_name, self.key)
        tmp = path + ".tmp-" + uuid.uuid4().hex
        combine = crc64_combine_fun()
        crc, size, md5s = 0, 0, b""
        with open(tmp, "wb") as out:
            for p in parts:
                with open(p["path"], "rb") as f:
                    shutil.copyfileobj(f, out, 1 << 20)
                crc = combine(crc, p["crc"], p["size"]) if size else p["crc"]
                size += p["size"]
                md5s += bytes.fromhex(p["etag"])
        os.replace(tmp, path)
        etag = hashlib.md5(md5s).hexdigest().upper() + "-%d" % len(parts)
        bucket = self.store.bucket(self.bucket_name)
        with self.store.lock:
            bucket[self.key] = dict({"size": size, "etag": etag, "crc": crc, "mtime": time.time(), "type": up["type"],
                                     "path": path, "kind": "Multipart"}, **up.get("attrs", {}))
            self.store.uploads.pop(uid, None)
        shutil.rmtree(os.path.join(self.store.root, "uploads", uid), ignore_errors=True)
        self.xml(200, "<CompleteMultipartUploadResult><Bucket>%s</Bucket><Key>%s</Key><ETag>\"%s\"</ETag>"
                 "</CompleteMultipartUploadResult>" % (escape(self.bucket_name), escape(self.key), etag),
                 {"x-oss-hash-crc64ecma": self.crc_header(crc)})

    def op_AbortMultipartUpload(self):
        uid, up = self.upload()
        with self.store.lock:
            self.store.uploads.pop(uid, None)
        shutil.rmtree(os.path.join(self.store.root, "uploads", uid), ignore_errors=True)
        self.send(204)

    def op_ListMultipartUploads(self):
        self.store.bucket(self.bucket_name)
        q = self.query
        prefix = q.get("prefix", "")
        key_marker = q.get("key-marker", "")
        id_marker = q.get("upload-id-marker", "")
        max_uploads = int(q.get("max-uploads", "1000") or 1000)
        with self.store.lock:
            ups = sorted((u["key"], uid, u["initiated"]) for uid, u in self.store.uploads.items()
                         if u["bucket"] == self.bucket_name and u["key"].startswith(prefix))
        ups = [u for u in ups if (u[0], u[1]) > (key_marker, id_marker if key_marker else "")]
        page = ups[:max_uploads]
        truncated = len(ups) > len(page)
        out = ["<ListMultipartUploadsResult><Bucket>%s</Bucket><Prefix>%s</Prefix><KeyMarker>%s</KeyMarker>"
               "<UploadIdMarker>%s</UploadIdMarker><MaxUploads>%d</MaxUploads><IsTruncated>%s</IsTruncated>"
               % (escape(self.bucket_name), escape(prefix), escape(key_marker), escape(id_marker), max_uploads,
                  "true" if truncated else "false")]
        if page:
            out.append("<NextKeyMarker>%s</NextKeyMarker><NextUploadIdMarker>%s</NextUploadIdMarker>"
                       % (escape(page[-1][0]), page[-1][1]))
        for key, uid, initiated in page:
            out.append("<Upload><Key>%s</Key><UploadId>%s</UploadId><StorageClass>Standard</StorageClass>"
                       "<Initiated>%s</Initiated></Upload>" % (escape(key), uid, iso(initiated)))
        out.append("</ListMultipartUploadsResult>")
        self.xml(200, "".join(out))

    # ------------------------------------------------------------------ test control

    def control(self, parts):
        self.op = "control"
        path = parts.path[len("/__emulator/"):]
        q = dict(p.partition("=")[::2] for p in parts.query.split("&")) if parts.query else {}
        q = {unquote(k): unquote(v) for k, v in q.items()}
        if path == "health":
            return self.send(200, b"ok", content_type="text/plain")
        if path.startswith("buckets/") and self.command == "PUT":
            self.store.create_bucket(unquote(path[len("buckets/"):]))
            return self.send(200, b"{}", content_type="application/json")
        if path == "faults" and self.command == "POST":
            fault = json.loads(self.read_body() or b"{}")
            with self.store.lock:
                self.store.faults.append(fault)
            return self.send(200, b"{}", content_type="application/json")
        if path == "faults" and self.command == "DELETE":
            bucket = q.get("bucket")
            with self.store.lock:
                self.store.faults = [f for f in self.store.faults if bucket and f.get("bucket") != bucket]
            return self.send(200, b"{}", content_type="application/json")
        if path == "concurrency":
            with self.store.lock:
                peak = self.store.peak.get(q.get("bucket"), 0)
                active = self.store.active.get(q.get("bucket"), 0)
            return self.send(200, json.dumps({"peak": peak, "active": active}).encode(), content_type="application/json")
        if path == "release" and self.command == "POST":
            self.store.release(q.get("bucket"))
            return self.send(200, b"{}", content_type="application/json")
        if path == "worm" and self.command == "POST":
            with self.store.lock:
                self.store.worm[q.get("bucket")] = json.loads(self.read_body() or b"[]")
            return self.send(200, b"{}", content_type="application/json")
        if path == "restore-delay" and self.command == "POST":
            with self.store.lock:
                self.store.restore_delay[q.get("bucket")] = float(q.get("seconds", "0"))
            return self.send(200, b"{}", content_type="application/json")
        if path == "metadata" and self.command == "POST":
            spec = json.loads(self.read_body() or b"{}")

            def register(ak, secret, token, expires):
                Handler.credentials[ak] = (secret, token, expires)
            endpoint = ecs_metadata.start(self.server.server_address[0], spec.get("roles", {}), spec.get("attached"),
                                          spec.get("mode", "both"), register)
            return self.send(200, json.dumps({"endpoint": endpoint}).encode(), content_type="application/json")
        if path == "log":
            with self.store.lock:
                entries = list(self.store.log.get(q.get("bucket"), []))
            return self.send(200, json.dumps(entries).encode(), content_type="application/json")
        if path == "seed" and self.command == "POST":
            # Bulk-creates small objects (body = key) without 1 request each: for listing and delete tests.
            bucket = self.store.bucket(q.get("bucket"))
            keys = json.loads(self.read_body() or b"[]")
            for key in keys:
                body = key.encode()
                c = new_crc64(); c.update(body)
                path_ = self.object_path(q.get("bucket"), key)
                with open(path_, "wb") as f:
                    f.write(body)
                with self.store.lock:
                    bucket[key] = {"size": len(body), "etag": hashlib.md5(body).hexdigest().upper(), "crc": c.crcValue,
                                   "mtime": time.time(), "type": "application/octet-stream", "path": path_}
            return self.send(200, b"{}", content_type="application/json")
        if path == "backdate" and self.command == "POST":
            seconds = float(q.get("seconds", "0"))
            with self.store.lock:
                for u in self.store.uploads.values():
                    if u["bucket"] == q.get("bucket"):
                        u["initiated"] -= seconds
            return self.send(200, b"{}", content_type="application/json")
        return self.send(404, b"unknown control path", content_type="text/plain")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--root", required=True, help="folder for stored objects")
    ap.add_argument("--region", default="cn-hangzhou")
    ap.add_argument("--credentials", action="append", default=[],
                    help="ACCESS_KEY_ID:SECRET[:STS_TOKEN]; may be repeated")
    ap.add_argument("--bucket", action="append", default=[], help="create this bucket at start")
    ap.add_argument("--port-file", help="write the chosen port here once listening")
    args = ap.parse_args()
    Handler.store = Store(args.root)
    Handler.region = args.region
    for c in args.credentials:
        parts = c.split(":", 2)
        Handler.credentials[parts[0]] = (parts[1], parts[2] if len(parts) > 2 else None, None)
    for b in args.bucket:
        Handler.store.create_bucket(b)
    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer.request_queue_size = 64
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    port = server.server_address[1]
    if args.port_file:
        with open(args.port_file + ".tmp", "w") as f:
            f.write(str(port))
        os.replace(args.port_file + ".tmp", args.port_file)
    print("oss-emulator: listening on %s:%d, data in %s" % (args.host, port, args.root), flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
