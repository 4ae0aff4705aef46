#!/usr/bin/env python3
"""A tiny HTTP service for the deploy tests: GET /health answers its version.

Usage: service.py --port PORT --version V
/health answers 200 "ok version V", or 500 "broken version V" when V is listed in the
comma-separated SERVICE_BAD_VERSIONS environment variable. /version answers V.
"""
import argparse
import os
from http.server import BaseHTTPRequestHandler, HTTPServer


def main():
    # A daemon keeps none of its starter's descriptors (a test harness may wait for one of them to close).
    os.closerange(3, 1024)
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--version", required=True)
    args = parser.parse_args()
    bad = [v.strip() for v in os.environ.get("SERVICE_BAD_VERSIONS", "").split(",") if v.strip()]
    healthy = args.version not in bad

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/health":
                status, body = (200, f"ok version {args.version}") if healthy else (500, f"broken version {args.version}")
            elif self.path == "/version":
                status, body = 200, args.version
            else:
                status, body = 404, "not found"
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, fmt, *a):
            pass

    HTTPServer(("127.0.0.1", args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
