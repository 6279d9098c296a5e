"""A real SMTP server on 127.0.0.1 for the member tests (aiosmtpd): prints the port it
listens on, then one JSON line per message delivered, with the envelope and the
decoded subject and text. Stops when its stdin closes."""
import email
import email.policy
import json
import sys

try:
    from aiosmtpd.controller import Controller
except ImportError:
    sys.stderr.write("missing Python package (No module named 'aiosmtpd'): run `python3 -m pip install aiosmtpd`\n")
    sys.exit(3)


class Printer:
    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        print(json.dumps({
            "from": envelope.mail_from,
            "to": envelope.rcpt_tos,
            "subject": str(message["subject"]),
            "text": body.get_content() if body is not None else "",
        }), flush=True)
        return "250 OK"


import socket

with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
controller = Controller(Printer(), hostname="127.0.0.1", port=port)
controller.start()
print(json.dumps({"port": port}), flush=True)
sys.stdin.read()
controller.stop()
