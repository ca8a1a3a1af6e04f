"""A small SMART EHR for the tests: discovery, authorize, token (checking PKCE) and a
Patient read, served by ``http.server`` on 127.0.0.1 at a random port, in a thread.

It plays the EHR of a SMART App Launch: a launch id names the patient and the clinician
(``launches``); the authorize step sends the browser back with a code (or with the
``error`` set in ``authorize_error``); the token step trades the code once, for the right
client, redirect URI and PKCE verifier; the FHIR read needs the token it gave.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import urllib.parse
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CLIENT_ID = "alliance-app"


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


@dataclass
class Double:
    server: ThreadingHTTPServer
    # launch id -> (patient id, fhirUser)
    launches: dict[str, tuple[str, str]] = field(default_factory=dict)
    patients: dict[str, dict[str, Any]] = field(default_factory=dict)
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    client_secret: str = ""
    authorize_error: str = ""
    token_refuses: bool = False
    # What the discovery document names as the token endpoint, if not this double's.
    token_endpoint: str = ""
    token_calls: list[dict[str, str]] = field(default_factory=list)
    pkce_failures: int = 0

    @property
    def base(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def iss(self) -> str:
        return f"{self.base}/fhir"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start() -> Double:
    double: Double

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            parts = urllib.parse.urlsplit(self.path)
            query = dict(urllib.parse.parse_qsl(parts.query))
            if parts.path == "/fhir/.well-known/smart-configuration":
                self._json(
                    200,
                    {
                        "authorization_endpoint": f"{double.base}/authorize",
                        "token_endpoint": double.token_endpoint or f"{double.base}/token",
                        "code_challenge_methods_supported": ["S256"],
                        "capabilities": ["launch-ehr", "client-confidential-symmetric"],
                    },
                )
            elif parts.path == "/authorize":
                self._authorize(query)
            elif parts.path.startswith("/fhir/Patient/"):
                self._patient(parts.path.removeprefix("/fhir/Patient/"))
            else:
                self._json(404, {"resourceType": "OperationOutcome"})

        def _authorize(self, query: dict[str, str]) -> None:
            ok = (
                query.get("response_type") == "code"
                and query.get("client_id") == CLIENT_ID
                and query.get("aud") == double.iss
                and query.get("code_challenge_method") == "S256"
                and query.get("launch") in double.launches
                and "launch" in query.get("scope", "").split()
            )
            back: dict[str, str] = {"state": query.get("state", "")}
            if double.authorize_error or not ok:
                back["error"] = double.authorize_error or "invalid_request"
            else:
                code = secrets.token_urlsafe(16)
                double.codes[code] = {
                    "challenge": query["code_challenge"],
                    "redirect_uri": query["redirect_uri"],
                    "launch": query["launch"],
                }
                back["code"] = code
            self.send_response(302)
            self.send_header("Location", f"{query['redirect_uri']}?{urllib.parse.urlencode(back)}")
            self.end_headers()

        def do_POST(self) -> None:
            if self.path != "/token":
                self._json(404, {})
                return
            length = int(self.headers.get("Content-Length", "0"))
            form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
            double.token_calls.append(form)
            if double.token_refuses or not self._client_ok(form):
                self._json(401, {"error": "invalid_client"})
                return
            grant = double.codes.pop(form.get("code", ""), None)
            if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
                self._json(400, {"error": "invalid_grant"})
                return
            digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != grant["challenge"]:
                double.pkce_failures += 1
                self._json(400, {"error": "invalid_grant", "error_description": "PKCE"})
                return
            patient, fhir_user = double.launches[grant["launch"]]
            token = secrets.token_urlsafe(16)
            double.tokens[token] = patient
            claims = {"iss": double.iss, "aud": CLIENT_ID, "sub": "u1", "fhirUser": fhir_user}
            id_token = f"{_b64({'alg': 'RS256'})}.{_b64(claims)}.c2lnbmF0dXJl"
            self._json(
                200,
                {
                    "access_token": token,
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "scope": "launch openid fhirUser patient/Patient.rs",
                    "patient": patient,
                    "id_token": id_token,
                },
            )

        def _client_ok(self, form: dict[str, str]) -> bool:
            if not double.client_secret:
                return form.get("client_id") == CLIENT_ID
            expected = base64.b64encode(f"{CLIENT_ID}:{double.client_secret}".encode()).decode()
            return self.headers.get("Authorization") == f"Basic {expected}"

        def _patient(self, patient_id: str) -> None:
            bearer = self.headers.get("Authorization", "").removeprefix("Bearer ")
            if double.tokens.get(bearer) != patient_id or patient_id not in double.patients:
                self._json(403, {"resourceType": "OperationOutcome"})
                return
            self._json(200, double.patients[patient_id])

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    double = Double(server=server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return double
