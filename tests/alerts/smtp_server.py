#!/usr/bin/python3
"""A real SMTP server for the e-mail alert tests (Debian's python3-aiosmtpd).

Listens on 127.0.0.1 (port 0 picks a free one), prints "PORT <n>" once it accepts connections, and
writes each message it accepts to <dir>/msg-<n>.json: envelope sender, recipients, the raw data, and
the login used. Options make it refuse recipients or data, answer slowly, require STARTTLS or a login.
"""
import argparse
import asyncio
import json
import os
import ssl

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Handler:
    def __init__(self, args):
        self.args = args
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.args.reject_rcpt:
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.args.delay > 0:
            await asyncio.sleep(self.args.delay)
        if self.args.reject_data:
            return "554 5.6.0 message refused"
        self.count += 1
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "data": envelope.content.decode("utf-8", "replace"),
            "tls": session.ssl is not None,
            "login": session.auth_data.decode() if isinstance(session.auth_data, bytes) else None,
        }
        path = os.path.join(self.args.dir, "msg-%04d.json" % self.count)
        with open(path + ".tmp", "w") as out:
            json.dump(record, out)
        os.rename(path + ".tmp", path)  # a reader never sees half a file
        return "250 Message accepted"


def authenticator(expected):
    def check(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode(), auth_data.password.decode()) == expected
        # handled=False: aiosmtpd itself answers 535 to a bad login.
        return AuthResult(success=ok, handled=False, auth_data=auth_data.login if ok else None)
    return check


async def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--reject-rcpt", action="append", default=[])
    parser.add_argument("--reject-data", action="store_true")
    parser.add_argument("--delay", type=float, default=0)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--auth", help="user:password; a login is then required (over TLS)")
    args = parser.parse_args()

    kwargs = {"hostname": "smtp.test", "decode_data": False}
    if args.cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.cert, args.key)
        kwargs.update(tls_context=context, require_starttls=True)
    if args.auth:
        user, password = args.auth.split(":", 1)
        kwargs.update(authenticator=authenticator((user, password)), auth_required=True,
                      auth_require_tls=True)
    handler = Handler(args)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(handler, **kwargs), "127.0.0.1", args.port)
    print("PORT %d" % server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()  # until the test sends SIGTERM


if __name__ == "__main__":
    asyncio.run(main())
