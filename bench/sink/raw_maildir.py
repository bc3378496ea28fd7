"""The SMTP sink of the email bench: an aiosmtpd handler that files every message it accepts in a Maildir (new/),
with its envelope in the headers X-MailFrom and X-RcptTo, as aiosmtpd's own Mailbox handler does, but writing the
bytes as they came instead of parsing each message and writing it out again. The sink stands in for the customers'
mail servers, which run elsewhere; here it shares the machine with the server under test, so it should cost little.

    python3 -m aiosmtpd -n -u -l 127.0.0.1:PORT -c raw_maildir.RawMaildir DIR    (with this folder on PYTHONPATH)
"""
import itertools
import os
import socket
import time


class RawMaildir:
    def __init__(self, directory):
        self.new = os.path.join(directory, "new")
        self.tmp = os.path.join(directory, "tmp")
        for folder in (self.new, self.tmp, os.path.join(directory, "cur")):
            os.makedirs(folder, exist_ok=True)
        self.unique = itertools.count()
        self.host = socket.gethostname().replace("/", "_").replace(":", "_")

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("the Maildir to write to is required")
        return cls(args[0])

    async def handle_DATA(self, server, session, envelope):
        content = envelope.original_content or envelope.content
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        head = "X-Peer: {}\r\nX-MailFrom: {}\r\nX-RcptTo: {}\r\n".format(
            session.peer, envelope.mail_from, ", ".join(envelope.rcpt_tos)).encode("utf-8", "surrogateescape")
        name = "{:.6f}.{}_{}.{}".format(time.time(), os.getpid(), next(self.unique), self.host)
        temp = os.path.join(self.tmp, name)
        with open(temp, "wb") as f:
            f.write(head)
            f.write(content)
        os.rename(temp, os.path.join(self.new, name))
        return "250 OK"
