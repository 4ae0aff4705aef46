#!/usr/bin/env python3
"""A local webhook receiver for the tests: records every POST and answers with scripted statuses.

Usage: listener.py PORT_FILE LOG_FILE [STATUS[:BODY] ...]
Listens on 127.0.0.1 (a free port, written to PORT_FILE), appends one JSON line per request to LOG_FILE
({"path", "headers", "body"}), and answers the n-th request with the n-th STATUS (the last one repeats;
default 200) and BODY (default {"errcode":0,"errmsg":"ok"}).
"""
import http.server
import json
import os
import signal
import sys

# A parent that blocked signals in its thread (a test runner's worker) passes the mask on through exec:
# unblock them so the test can stop this server with SIGTERM.
signal.pthread_sigmask(signal.SIG_SETMASK, [])

port_file, log_file, *script = sys.argv[1:]
script = script or ["200"]
count = 0


class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        global count
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length).decode("utf-8", "replace")
        with open(log_file, "a") as f:
            f.write(json.dumps({"path": self.path, "headers": dict(self.headers), "body": body}) + "\n")
        status, _, answer = script[min(count, len(script) - 1)].partition(":")
        count += 1
        answer = (answer or '{"errcode":0,"errmsg":"ok"}').encode()
        self.send_response(int(status))
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(port_file + ".tmp", "w") as f:
    f.write(str(server.server_address[1]))
os.rename(port_file + ".tmp", port_file)
server.serve_forever()
