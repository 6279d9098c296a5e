"""WeChat Pay's side of functions/tests/payments_wechat.rs, written with the PyPI
package `wechatpayv3` as an implementation of the scheme independent of Carte's.

Reads one JSON request on stdin, writes one JSON answer on stdout:

- {"op": "keys"}: throwaway RSA keys (merchant and platform, 2048 bits, PKCS#8 /
  SubjectPublicKeyInfo PEM) and a 32-character APIv3 key.
- {"op": "verify_requests", "mchid", "serial_no", "merchant_private_key",
  "merchant_public_key", "requests": [{method, path, body, authorization}]}:
  for each request Carte sent, whether its Authorization header is what
  wechatpayv3 would have sent for the same request, timestamp and nonce, and
  whether the signature verifies with the merchant public key.
- {"op": "sign", "platform_private_key", "public_key_id", "bodies": [...],
  "timestamp"?}: the Wechatpay-* headers WeChat Pay puts on an answer.
- {"op": "notify", "platform_private_key", "public_key", "public_key_id",
  "apiv3_key", "id", "event_type", "resource", "timestamp"?}: a notification,
  its resource encrypted with AEAD_AES_256_GCM and the whole signed, checked by
  wechatpayv3's own callback parser before it is handed over.
"""

import json
import secrets
import string
import sys
import time

try:
    import wechatpayv3
    from wechatpayv3 import utils as wx
    from wechatpayv3.core import Core
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
except ImportError as e:  # pragma: no cover - the message is the point
    sys.stderr.write(
        f"missing Python package ({e}): run `python3 -m pip install wechatpayv3`\n"
    )
    sys.exit(3)

ALPHANUM = string.ascii_letters + string.digits


def nonce(n=32):
    return "".join(secrets.choice(ALPHANUM) for _ in range(n))


def keypair():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo,
    ).decode()
    return private, public


def parse_authorization(header):
    scheme, _, params = header.partition(" ")
    fields = {}
    for part in params.split(","):
        name, _, value = part.partition("=")
        fields[name.strip()] = value.strip().strip('"')
    return scheme, fields


def verify_requests(req):
    private_key = wx.load_private_key(req["merchant_private_key"])
    public_key = wx.load_public_key(req["merchant_public_key"])
    results = []
    for r in req["requests"]:
        problems = []
        scheme, fields = parse_authorization(r["authorization"])
        if scheme != "WECHATPAY2-SHA256-RSA2048":
            problems.append(f"scheme {scheme!r}")
        if fields.get("mchid") != req["mchid"]:
            problems.append(f"mchid {fields.get('mchid')!r}")
        if fields.get("serial_no") != req["serial_no"]:
            problems.append(f"serial_no {fields.get('serial_no')!r}")
        # What wechatpayv3 itself would send for this request at that time with that
        # nonce (RSA PKCS#1 v1.5 is deterministic, so the headers must be equal).
        saved = wx.time.time
        try:
            wx.time.time = lambda: int(fields.get("timestamp", "0"))
            expected = wx.build_authorization(
                r["path"],
                r["method"],
                req["mchid"],
                req["serial_no"],
                private_key,
                data=r["body"],
                nonce_str=fields.get("nonce_str"),
            )
        finally:
            wx.time.time = saved
        if expected != r["authorization"]:
            problems.append(f"wechatpayv3 would send {expected!r}")
        message = "%s\n%s\n%s\n%s\n%s\n" % (
            r["method"],
            r["path"],
            fields.get("timestamp"),
            fields.get("nonce_str"),
            r["body"],
        )
        try:
            from base64 import b64decode
            from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
            from cryptography.hazmat.primitives.hashes import SHA256

            public_key.verify(
                b64decode(fields.get("signature", "")), message.encode(), PKCS1v15(), SHA256()
            )
        except Exception as e:  # noqa: BLE001 - any failure is a refusal
            problems.append(f"signature does not verify: {type(e).__name__}")
        results.append({"ok": not problems, "problems": problems})
    return results


def signed_headers(platform_private_key, public_key_id, body, timestamp=None):
    key = wx.load_private_key(platform_private_key)
    ts = str(timestamp if timestamp is not None else int(time.time()))
    n = nonce()
    signature = wx.rsa_sign(key, "%s\n%s\n%s\n" % (ts, n, body))
    return {
        "Wechatpay-Timestamp": ts,
        "Wechatpay-Nonce": n,
        "Wechatpay-Signature": signature,
        "Wechatpay-Serial": public_key_id,
        "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048",
    }


def notify(req):
    associated = req.get("associated_data", "transaction")
    resource_nonce = nonce(12)
    plaintext = json.dumps(req["resource"], ensure_ascii=False).encode()
    sealed = AESGCM(req["apiv3_key"].encode()).encrypt(
        resource_nonce.encode(), plaintext, associated.encode()
    )
    from base64 import b64encode

    body = json.dumps(
        {
            "id": req["id"],
            "create_time": "2025-03-01T12:00:00+08:00",
            "resource_type": "encrypt-resource",
            "event_type": req["event_type"],
            "summary": "支付成功",
            "resource": {
                "original_type": associated,
                "algorithm": "AEAD_AES_256_GCM",
                "ciphertext": b64encode(sealed).decode(),
                "associated_data": associated,
                "nonce": resource_nonce,
            },
        },
        ensure_ascii=False,
    )
    headers = signed_headers(
        req["platform_private_key"], req["public_key_id"], body, req.get("timestamp")
    )
    # wechatpayv3's own callback parser (signature, then decryption) must accept it.
    merchant_private, _ = keypair()
    core = Core(
        mchid="0",
        cert_serial_no="0",
        private_key=merchant_private,
        apiv3_key=req["apiv3_key"],
        public_key=req["public_key"],
        public_key_id=req["public_key_id"],
    )
    parsed = core.callback(headers, body)
    if not parsed or parsed["resource"] != req["resource"]:
        raise SystemExit("wechatpayv3 does not accept the notification it was given")
    return {"headers": headers, "body": body}


def main():
    req = json.load(sys.stdin)
    op = req["op"]
    if op == "keys":
        merchant_private, merchant_public = keypair()
        platform_private, platform_public = keypair()
        out = {
            "merchant_private_key": merchant_private,
            "merchant_public_key": merchant_public,
            "platform_private_key": platform_private,
            "platform_public_key": platform_public,
            "apiv3_key": nonce(32),
            "wechatpayv3": getattr(wechatpayv3, "__version__", "?"),
        }
    elif op == "verify_requests":
        out = verify_requests(req)
    elif op == "sign":
        out = [
            signed_headers(
                req["platform_private_key"], req["public_key_id"], b, req.get("timestamp")
            )
            for b in req["bodies"]
        ]
    elif op == "notify":
        out = notify(req)
    else:
        raise SystemExit(f"unknown op {op!r}")
    json.dump(out, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
