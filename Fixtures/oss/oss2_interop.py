#!/usr/bin/env python3
"""Drives the official oss2 SDK against the OSS emulator, to show the emulator speaks OSS as the SDK expects.

Run by Tests/ObjectStorageTests/EmulatorInteropTests.swift with the VAULTOPS_TEST_OSS_* variables that
.ci/oss-emulator/start exports. Usage: oss2_interop.py BUCKET. Prints one line per check; exits non-zero on
the first failure.
"""
import os
import sys
import urllib.request

import oss2
import requests

endpoint = os.environ["VAULTOPS_TEST_OSS_ENDPOINT"]
ak = os.environ["VAULTOPS_TEST_OSS_ACCESS_KEY_ID"]
sk = os.environ["VAULTOPS_TEST_OSS_ACCESS_KEY_SECRET"]
region = os.environ["VAULTOPS_TEST_OSS_REGION"]
bucket_name = sys.argv[1]

requests.put(endpoint + "/__emulator/buckets/" + bucket_name).raise_for_status()


def check(name, ok):
    print(("ok   " if ok else "FAIL ") + name, flush=True)
    if not ok:
        sys.exit(1)


for version, auth in (("v1", oss2.Auth(ak, sk)), ("v4", oss2.AuthV4(ak, sk))):
    bucket = oss2.Bucket(auth, endpoint, bucket_name, region=region)
    prefix = version + "/"
    body = bytes(range(256)) * 1000
    r = bucket.put_object(prefix + "a b+c~d%e/中文.bin", body)
    crc = oss2.utils.Crc64()
    crc.update(body)
    check(version + " put_object returns the SDK's CRC-64", r.status == 200 and int(r.headers["x-oss-hash-crc64ecma"]) == crc.crc)
    got = bucket.get_object(prefix + "a b+c~d%e/中文.bin", byte_range=(1000, 1999)).read()
    check(version + " ranged get_object", got == body[1000:2000])
    meta = bucket.head_object(prefix + "a b+c~d%e/中文.bin")
    check(version + " head_object", meta.content_length == len(body))
    for i in range(25):
        bucket.put_object(prefix + "list/%03d" % i, b"x" * i)
    keys = [o.key for o in oss2.ObjectIteratorV2(bucket, prefix=prefix + "list/", max_keys=7)]
    check(version + " paginated list_objects_v2 (7 per page)", keys == [prefix + "list/%03d" % i for i in range(25)])
    dirs = [o.key for o in oss2.ObjectIteratorV2(bucket, prefix=prefix, delimiter="/", max_keys=1)]
    check(version + " list with delimiter", dirs == [prefix + "a b+c~d%e/", prefix + "list/"])
    key = prefix + "multi.bin"
    part = os.urandom(100 * 1024)
    upload_id = bucket.init_multipart_upload(key).upload_id
    parts = []
    for n, data in enumerate([part, part[::-1], b"tail"], start=1):
        res = bucket.upload_part(key, upload_id, n, data)
        parts.append(oss2.models.PartInfo(n, res.etag))
    listed = list(oss2.PartIterator(bucket, key, upload_id, max_parts=2))
    check(version + " list_parts across pages", [p.part_number for p in listed] == [1, 2, 3])
    bucket.complete_multipart_upload(key, upload_id, parts)
    whole = bucket.get_object(key).read()
    check(version + " multipart upload completes byte-identical", whole == part + part[::-1] + b"tail")
    small_id = bucket.init_multipart_upload(prefix + "small").upload_id
    bucket.upload_part(prefix + "small", small_id, 1, b"too small")
    r2 = bucket.upload_part(prefix + "small", small_id, 2, b"last")
    try:
        bucket.complete_multipart_upload(prefix + "small", small_id, [oss2.models.PartInfo(1, r2.etag), oss2.models.PartInfo(2, r2.etag)])
        check(version + " bad part list rejected", False)
    except oss2.exceptions.ServerError as e:
        check(version + " bad part list rejected with " + e.code, e.code in ("InvalidPart", "EntityTooSmall"))
    uploads = [u.upload_id for u in oss2.MultipartUploadIterator(bucket, prefix=prefix)]
    check(version + " list_multipart_uploads shows the open upload", small_id in uploads)
    bucket.abort_multipart_upload(prefix + "small", small_id)
    result = bucket.batch_delete_objects([prefix + "list/%03d" % i for i in range(25)])
    left = [o.key for o in oss2.ObjectIteratorV2(bucket, prefix=prefix + "list/")]
    check(version + " batch_delete_objects", len(result.deleted_keys) == 25 and left == [])
    url = bucket.sign_url("GET", prefix + "multi.bin", 60)
    check(version + " presigned URL", requests.get(url).content == whole)
    bad = oss2.Bucket(oss2.Auth(ak, sk + "x") if version == "v1" else oss2.AuthV4(ak, sk + "x"), endpoint, bucket_name, region=region)
    try:
        bad.get_object(key)
        check(version + " wrong secret rejected", False)
    except oss2.exceptions.ServerError as e:
        check(version + " wrong secret rejected with " + e.code, e.status == 403 and e.code == "SignatureDoesNotMatch")
    try:
        bucket.get_object(prefix + "missing")
        check(version + " missing key", False)
    except oss2.exceptions.NoSuchKey:
        check(version + " missing key is NoSuchKey", True)
print("oss2 interop: all checks passed")
