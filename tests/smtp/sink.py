"""A real SMTP server on loopback for the mail tests (aiosmtpd).

Saves every accepted message, as received, to --out. STARTTLS is offered and required unless
--plain is given (then it is not offered at all, to test that the app refuses such a server).
Prints "ready" when it accepts connections; runs until killed. --delay N waits N seconds between
saving a message and answering 250 (to kill the client in between).
"""
import argparse
import asyncio
import os
import signal
import ssl
import time

from aiosmtpd.controller import Controller


class Save:
    def __init__(self, out, delay):
        self.out = out
        self.delay = delay
        self.n = 0

    async def handle_DATA(self, server, session, envelope):
        self.n += 1
        path = os.path.join(self.out, "%d-%05d.eml" % (os.getpid(), self.n))
        with open(path + ".tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        os.rename(path + ".tmp", path)
        if self.delay:
            # Saved but not yet acknowledged: a client killed now never learns it was accepted.
            await asyncio.sleep(self.delay)
        return "250 OK"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--plain", action="store_true")
    p.add_argument("--delay", type=float, default=0.0,
                   help="seconds between saving a message and answering 250")
    a = p.parse_args()
    tls = None
    if not a.plain:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(a.cert, a.key)
    c = Controller(
        Save(a.out, a.delay),
        hostname="127.0.0.1",
        port=a.port,
        tls_context=tls,
        require_starttls=not a.plain,
        ready_timeout=10,
    )
    c.start()
    print("ready", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: (c.stop(), os._exit(0)))
    while True:
        time.sleep(3600)


if __name__ == "__main__":
    main()
