"""A mock ECS instance metadata service (100.100.100.200) for vaultops' credential tests.

The OSS emulator starts one per test on request (POST /__emulator/metadata), each on its own loopback port,
so tests running at once do not share roles or modes. It issues rotating STS credentials for its roles and
registers each pair with the emulator, which accepts it until it expires and then answers 403
SecurityTokenExpired, as OSS does.

ECS's endpoints, as Alibaba documents them:
  PUT /latest/api/token                      IMDSv2 token; needs X-aliyun-ecs-metadata-token-ttl-seconds (1-21600)
  GET /latest/meta-data/ram/security-credentials/        the attached role's name
  GET /latest/meta-data/ram/security-credentials/NAME    JSON: Code, AccessKeyId, AccessKeySecret, SecurityToken,
                                                         Expiration, LastUpdated
  Header X-aliyun-ecs-metadata-token carries the v2 token; a bad or expired one gets 401.
Modes: "both" (v2, and v1 without a token), "v2-only" (hardened: v1 gets 403), "v1-only" (no token endpoint: 404).

Test control on the same port:
  GET /__metadata/log    the requests received, as JSON [{method, path, token}] (token: whether one was sent)
"""
import datetime
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ROLE_PATH = "/latest/meta-data/ram/security-credentials/"


def iso(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class MetadataService:
    """One instance's metadata: its roles (name -> credential lifetime in seconds), attached role and mode."""

    def __init__(self, roles, attached, mode, register):
        self.roles = {name: float(ttl) for name, ttl in roles.items()}
        self.attached = attached
        self.mode = mode
        self.register = register      # (access key id, secret, token, expires at) -> None
        self.lock = threading.Lock()
        self.current = {}             # role -> credentials dict with "expires"
        self.tokens = {}              # v2 token -> expires at
        self.log = []

    def credentials(self, role):
        """The role's current pair, a new one once less than half its lifetime is left (ECS renews early)."""
        with self.lock:
            now = time.time()
            ttl = self.roles[role]
            cur = self.current.get(role)
            if cur is None or cur["expires"] - now < ttl / 2:
                cur = {"AccessKeyId": "STS." + secrets.token_hex(12), "AccessKeySecret": secrets.token_hex(16),
                       "SecurityToken": "CAIS" + secrets.token_urlsafe(24), "expires": now + ttl, "updated": now}
                self.register(cur["AccessKeyId"], cur["AccessKeySecret"], cur["SecurityToken"], cur["expires"])
                self.current[role] = cur
            return dict(cur)


def make_handler(service):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "Tengine"

        def log_message(self, fmt, *args):
            pass

        def answer(self, status, body, content_type="text/plain"):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_PUT(self):
            self.note()
            if self.path != "/latest/api/token":
                return self.answer(404, "Not Found")
            if service.mode == "v1-only":
                return self.answer(404, "Not Found")
            ttl = self.headers.get("X-aliyun-ecs-metadata-token-ttl-seconds")
            if ttl is None or not ttl.isdigit() or not 1 <= int(ttl) <= 21600:
                return self.answer(400, "Bad Request: X-aliyun-ecs-metadata-token-ttl-seconds must be 1-21600")
            token = secrets.token_urlsafe(32)
            with service.lock:
                service.tokens[token] = time.time() + int(ttl)
            return self.answer(200, token)

        def do_GET(self):
            if self.path == "/__metadata/log":
                with service.lock:
                    return self.answer(200, json.dumps(service.log), "application/json")
            self.note()
            token = self.headers.get("X-aliyun-ecs-metadata-token")
            if token is not None:
                with service.lock:
                    valid = service.tokens.get(token, 0) > time.time()
                if not valid:
                    return self.answer(401, "Unauthorized")
            elif service.mode == "v2-only":
                return self.answer(403, "Forbidden")
            if self.path == ROLE_PATH:
                if service.attached is None:
                    return self.answer(404, "Not Found")
                return self.answer(200, service.attached)
            if not self.path.startswith(ROLE_PATH):
                return self.answer(404, "Not Found")
            role = self.path[len(ROLE_PATH):]
            if role not in service.roles:
                return self.answer(404, "Not Found")
            cur = service.credentials(role)
            body = {"Code": "Success", "AccessKeyId": cur["AccessKeyId"], "AccessKeySecret": cur["AccessKeySecret"],
                    "SecurityToken": cur["SecurityToken"], "Expiration": iso(cur["expires"]),
                    "LastUpdated": iso(cur["updated"])}
            return self.answer(200, json.dumps(body, indent=2), "application/json")

        def note(self):
            with service.lock:
                service.log.append({"method": self.command, "path": self.path,
                                    "token": self.headers.get("X-aliyun-ecs-metadata-token") is not None})

    return Handler


def start(host, roles, attached, mode, register):
    """Starts a metadata service on a free port of `host`; returns its base URL."""
    if mode not in ("both", "v2-only", "v1-only"):
        raise ValueError("mode must be both, v2-only or v1-only")
    service = MetadataService(roles, attached, mode, register)
    ThreadingHTTPServer.daemon_threads = True
    server = ThreadingHTTPServer((host, 0), make_handler(service))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return "http://%s:%d" % (host, server.server_address[1])
