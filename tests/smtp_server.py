"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives. Tests can make it
answer 451 (try later) for the next messages, or refuse every message with 550."""

import email
import email.policy
import socket

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    def __init__(self):
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes = []
        self.temporary_failures = 0  # answer 451 to this many next messages
        self.refuse = False  # answer 550 to every message
        self.refuse_to = set()  # answer 550 to a message for any of these addresses

    async def handle_DATA(self, server, session, envelope):
        if self.refuse or self.refuse_to & set(envelope.rcpt_tos):
            return "550 5.7.1 Message refused by policy"
        if self.temporary_failures:
            self.temporary_failures -= 1
            return "451 4.3.0 Try again later"
        self.envelopes.append(envelope)
        self.messages.append(
            email.message_from_bytes(envelope.content, policy=email.policy.default)
        )
        return f"250 2.0.0 Ok: queued as TEST{len(self.messages)}"


class SmtpServer:
    def __init__(self, smtputf8: bool = False):
        self.inbox = Inbox()
        self.port = free_port()
        self.controller = Controller(
            self.inbox, hostname="127.0.0.1", port=self.port, enable_SMTPUTF8=smtputf8
        )
        self.controller.start()

    def stop(self):
        self.controller.stop()
