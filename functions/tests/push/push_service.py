"""A push service on 127.0.0.1 for tests: it hands out browser subscriptions (a P-256
key pair and an auth secret, made here) and, for each message POSTed to one, checks it
with implementations independent of Carte's: the body is decrypted by `http_ece`
(pywebpush's RFC 8188/8291 library) and the VAPID token (RFC 8292) is verified with
`cryptography`. Prints one JSON line with the subscriptions, then one per message.

Endpoints: /push/live answers 201, /push/gone answers 410 (the browser unsubscribed).
Stops when its standard input closes.
"""

import base64
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, utils


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


PRIVATE = ec.generate_private_key(ec.SECP256R1())
PUBLIC = PRIVATE.public_key().public_bytes(
    serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
)
AUTH = bytes(range(16)) if "--fixed-auth" in sys.argv else __import__("os").urandom(16)
LOCK = threading.Lock()


def vapid(header: str, audience: str) -> dict:
    """Checks `vapid t=<jwt>, k=<key>`; returns the claims and what was found."""
    params = dict(
        part.strip().split("=", 1) for part in header[len("vapid ") :].split(",")
    )
    token, key = params["t"], params["k"]
    head, claims, signature = token.split(".")
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64u(key))
    raw = unb64u(signature)
    der = utils.encode_dss_signature(
        int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    )
    try:
        public.verify(der, f"{head}.{claims}".encode(), ec.ECDSA(hashes.SHA256()))
        verified = True
    except InvalidSignature:
        verified = False
    claims = json.loads(unb64u(claims))
    return {
        "header": json.loads(unb64u(head)),
        "claims": claims,
        "key": key,
        "verified": verified,
        "audience_ok": claims.get("aud") == audience,
        "expiry_ok": 0 < claims.get("exp", 0) - time.time() <= 24 * 3600,
    }


class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        report = {
            "path": self.path,
            "encoding": self.headers.get("Content-Encoding"),
            "ttl": self.headers.get("TTL"),
            "urgency": self.headers.get("Urgency"),
        }
        if self.path == "/push/gone":
            status = 410
        else:
            status = 201
            try:
                plain = http_ece.decrypt(
                    body, private_key=PRIVATE, auth_secret=AUTH, version="aes128gcm"
                )
                report["message"] = json.loads(plain)
            except Exception as error:  # reported to the test, which fails on it
                report["decrypt_error"] = repr(error)
            try:
                audience = f"http://{self.headers.get('Host')}"
                report["vapid"] = vapid(self.headers.get("Authorization", ""), audience)
            except Exception as error:
                report["vapid_error"] = repr(error)
        report["status"] = status
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()
        with LOCK:
            print(json.dumps(report), flush=True)

    def log_message(self, *args):
        pass


def main():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    port = server.server_address[1]
    keys = {"p256dh": b64u(PUBLIC), "auth": b64u(AUTH)}
    print(
        json.dumps(
            {
                "live": {"endpoint": f"http://127.0.0.1:{port}/push/live", "keys": keys},
                "gone": {"endpoint": f"http://127.0.0.1:{port}/push/gone", "keys": keys},
            }
        ),
        flush=True,
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()  # until the test ends
    server.shutdown()


if __name__ == "__main__":
    main()
