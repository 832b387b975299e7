#!/usr/bin/env python3
"""A stand-in for the Home Assistant Supervisor's one endpoint the agent uses.

`GET /services/mqtt` answers as the Supervisor does (supervisor/api/services.py and the security
middleware): 401 without a token, 403 with a wrong one, otherwise
{"result": "ok", "data": {host, port, ssl, protocol, username, password, addon}}.
Every request is logged as one JSON line (path, whether the token was right) for the rehearsal's checks.

usage: supervisor.py ADDRESS PORT TOKEN LOG  (broker settings in MQTT_HOST/PORT/USER/PASS)
"""
import http.server
import json
import os
import sys

address, port, token, log_path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
service = {
    "host": os.environ["MQTT_HOST"], "port": int(os.environ["MQTT_PORT"]), "ssl": False,
    "protocol": "3.1.1", "username": os.environ["MQTT_USER"], "password": os.environ["MQTT_PASS"],
    "addon": "core_mosquitto",
}


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        given = self.headers.get("Authorization", "")
        auth = "none" if not given else ("ok" if given == f"Bearer {token}" else "wrong")
        with open(log_path, "a", encoding="utf-8") as log:
            log.write(json.dumps({"path": self.path, "auth": auth, "peer": self.client_address[0]}) + "\n")
        if auth == "none":
            return self.answer(401, "text/plain", b"401: Unauthorized")
        if auth == "wrong":
            return self.answer(403, "text/plain", b"403: Forbidden")
        if self.path != "/services/mqtt":
            return self.answer(404, "application/json", json.dumps({"result": "error", "message": "Service does not exist"}).encode())
        return self.answer(200, "application/json", json.dumps({"result": "ok", "data": service}).encode())

    def answer(self, status, kind, body):
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer((address, port), Handler).serve_forever()
