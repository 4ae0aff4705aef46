"""The OSS emulator's object features beyond plain storage: storage classes and archive restores, server-side
encryption, retention policies (WORM) and bucket lifecycle rules; mixed into emulator.py's request handler.

Also OSS's error (OSSError), which the handler answers as OSS's error XML.
"""
import re
import time
import xml.etree.ElementTree as ET

STORAGE_CLASSES = ("Standard", "IA", "Archive", "ColdArchive", "DeepColdArchive")
ARCHIVED = ("Archive", "ColdArchive", "DeepColdArchive")


class OSSError(Exception):
    def __init__(self, status, code, message, **extra):
        super().__init__(message)
        self.status, self.code, self.message, self.extra = status, code, message, extra


class ObjectFeatures:
    """Handler methods; they use the handler's store, headers, key, bucket_name, get_meta, read_body and send."""

    def write_attributes(self):
        """The storage class and server-side encryption a PutObject or InitiateMultipartUpload asks for, checked."""
        storage_class = self.headers.get("x-oss-storage-class") or "Standard"
        if storage_class not in STORAGE_CLASSES:
            raise OSSError(400, "InvalidArgument", "Invalid storage class: %s" % storage_class,
                           ArgumentName="x-oss-storage-class", ArgumentValue=storage_class)
        sse = self.headers.get("x-oss-server-side-encryption")
        key_id = self.headers.get("x-oss-server-side-encryption-key-id")
        if sse is not None and sse not in ("AES256", "KMS", "SM4"):
            raise OSSError(400, "InvalidEncryptionAlgorithmError", "The Encryption request you specified is not valid. "
                           "Supported value: AES256/KMS/SM4")
        if key_id is not None and sse != "KMS":
            raise OSSError(400, "InvalidArgument", "x-oss-server-side-encryption-key-id needs x-oss-server-side-encryption: KMS")
        return {"class": storage_class, "sse": sse, "kms": key_id}

    @staticmethod
    def encryption_headers(meta):
        h = {}
        if meta.get("sse"):
            h["x-oss-server-side-encryption"] = meta["sse"]
        if meta.get("sse") == "KMS":
            # OSS names the key it used: the one asked for, or the account's default KMS key.
            h["x-oss-server-side-encryption-key-id"] = meta.get("kms") or "default-kms-key-of-the-emulator"
        return h

    def restore_state(self, meta):
        """None (not archived, or never restored), "ongoing" or "done"."""
        ready = meta.get("restore_ready")
        if ready is None:
            return None
        return "done" if time.time() >= ready else "ongoing"

    def op_PutBucketLifecycle(self):
        self.store.bucket(self.bucket_name)
        body = self.read_body()
        self.check_md5(body)
        try:
            root = ET.fromstring(body)
        except ET.ParseError:
            raise OSSError(400, "MalformedXML", "The XML you provided was not well-formed.")
        rules = root.findall("Rule")
        if root.tag != "LifecycleConfiguration" or not rules or len(rules) > 1000:
            raise OSSError(400, "MalformedXML", "The XML you provided was not well-formed.")
        ids = set()
        for rule in rules:
            rid = rule.findtext("ID") or ""
            if rid in ids or rule.findtext("Status") not in ("Enabled", "Disabled") or rule.find("Prefix") is None:
                raise OSSError(400, "InvalidArgument", "Rule ID, Status or Prefix is missing or repeated.")
            ids.add(rid)
            for t in rule.findall("Transition"):
                if t.findtext("StorageClass") not in STORAGE_CLASSES[1:] or not (t.findtext("Days") or "").isdigit():
                    raise OSSError(400, "InvalidArgument", "Transition needs Days and a StorageClass of IA, Archive or ColdArchive.")
        with self.store.lock:
            self.store.lifecycle[self.bucket_name] = body
        self.send(200, b"")

    def op_GetBucketLifecycle(self):
        self.store.bucket(self.bucket_name)
        with self.store.lock:
            body = self.store.lifecycle.get(self.bucket_name)
        if body is None:
            raise OSSError(404, "NoSuchLifecycle", "No Row found in Lifecycle Table.", BucketName=self.bucket_name)
        self.send(200, body)

    def op_RestoreObject(self):
        meta = self.get_meta()
        body = self.read_body()
        if meta.get("class", "Standard") not in ARCHIVED:
            raise OSSError(400, "OperationNotSupported", "The operation is not supported for this resource")
        days = re.search(rb"<Days>(\d+)</Days>", body or b"")
        state = self.restore_state(meta)
        if state == "ongoing":
            raise OSSError(409, "RestoreAlreadyInProgress", "The restore operation is in progress.")
        if state == "done":
            return self.send(200, b"")
        with self.store.lock:
            delay = self.store.restore_delay.get(self.bucket_name, self.store.default_restore_delay)
            meta["restore_ready"] = time.time() + delay
            meta["restore_days"] = int(days.group(1)) if days else 1
        self.send(202, b"")

    def retained(self, key):
        """Whether `key` is under the bucket's retention policy (WORM): it cannot be deleted or overwritten."""
        return any(key.startswith(p) for p in self.store.worm.get(self.bucket_name, ()))
