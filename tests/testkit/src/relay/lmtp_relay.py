"""The test submission server's last hop: Dovecot's submission service relays
each message here, and this hands it to Dovecot's LMTP, so that a sent message
lands in the recipient's mailbox. Dovecot cannot relay to LMTP itself (it sends
EHLO, LMTP wants LHLO).

Usage: lmtp_relay.py RELAY_PORT LMTP_PORT USER...
Recipients whose local part is not one of USER are refused at RCPT, so tests
see a rejected recipient among accepted ones, as from a real server.

A message whose Subject holds "[relay: hold once]" is held the first time its
Message-ID comes: the final reply to its content never comes until the client's
connection is gone (a test cuts it: a connection lost while the message is in
flight), and it is not delivered; the Message-ID is written to `relay-held`
beside this script when the hold starts. The same Message-ID again is delivered.
"""

import asyncio
import email.parser
import os
import smtplib
import sys

from aiosmtpd.smtp import SMTP


class Relay:
    def __init__(self, lmtp_port, users):
        self.lmtp_port = lmtp_port
        self.users = set(users)
        self.held = set()
        self.held_file = os.path.join(os.path.dirname(os.path.abspath(__file__)), "relay-held")

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.split("@", 1)[0].lower() not in self.users:
            return "550 5.1.1 <%s>: Recipient address rejected: no such user" % address
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        headers = email.parser.BytesHeaderParser().parsebytes(envelope.original_content)
        message_id = headers.get("Message-ID", "")
        if "[relay: hold once]" in headers.get("Subject", "") and message_id not in self.held:
            self.held.add(message_id)
            with open(self.held_file, "w") as held:
                held.write(message_id)
            # aiosmtpd cancels this when the connection is lost; a minute bounds it otherwise.
            for _ in range(1200):
                if server.transport is None or server.transport.is_closing():
                    break
                await asyncio.sleep(0.05)
            return "451 4.4.2 held by the test relay"
        # One LMTP transaction per recipient: LMTP answers DATA once per
        # recipient, which smtplib's sendmail does not read.
        try:
            with smtplib.LMTP("127.0.0.1", self.lmtp_port) as lmtp:
                for recipient in envelope.rcpt_tos:
                    lmtp.sendmail(envelope.mail_from, [recipient], envelope.original_content)
        except smtplib.SMTPException as error:
            return "451 4.3.0 delivery failed: %s" % error
        return "250 2.0.0 delivered"


def main():
    relay_port, lmtp_port, users = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    handler = Relay(lmtp_port, users)
    loop = asyncio.new_event_loop()
    server = loop.run_until_complete(
        loop.create_server(
            lambda: SMTP(handler, decode_data=False, enable_SMTPUTF8=True, data_size_limit=None),
            "127.0.0.1",
            relay_port,
        )
    )
    print("ready", flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()


if __name__ == "__main__":
    main()
