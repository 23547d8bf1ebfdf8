"""Python's imaplib against Pigeon: a second, independent client (tests/imap/imaplib.test.ts).

Usage: imaplib-client.py HOST PORT SECURE_PORT USER PASSWORD CAFILE
Prints one JSON object with what each step saw.
"""
import email
import json
import ssl
import sys
import time
import imaplib

host, port, secure_port, user, password, cafile = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
ctx = ssl.create_default_context(cafile=cafile)
ctx.check_hostname = False
out = {}

m = imaplib.IMAP4(host, port)
out["pre_tls_caps"] = sorted(m.capabilities)
m.starttls(ssl_context=ctx)
typ, data = m.login(user, password)
out["login"] = typ
typ, data = m.capability()
out["caps"] = data[0].decode().split()
typ, data = m.list()
out["list"] = [d.decode() for d in data]
typ, data = m.select("INBOX")
out["select"] = [typ, int(data[0])]
typ, data = m.search(None, "ALL")
out["search_all"] = data[0].decode()
typ, data = m.search(None, "TEXT", "zebra")
out["search_text"] = data[0].decode()
typ, data = m.search(None, '(OR SUBJECT "first" SUBJECT "third")')
out["search_or"] = data[0].decode()
typ, data = m.uid("SEARCH", None, "UNSEEN")
out["uid_search_unseen"] = data[0].decode()
typ, data = m.fetch("1", "(RFC822)")
msg = email.message_from_bytes(data[0][1])
out["fetch_subject"] = msg["Subject"]
out["fetch_body"] = msg.get_payload().strip()
typ, data = m.fetch("1:*", "(FLAGS)")
out["flags_after_fetch"] = [d.decode() for d in data]
typ, data = m.store("2", "+FLAGS", "(\\Flagged)")
out["store"] = [d.decode() for d in data]
typ, data = m.copy("2", "Archive")
out["copy"] = typ
typ, data = m.append("Drafts", "(\\Draft)", imaplib.Time2Internaldate(time.time()), b"Subject: appended\r\n\r\nhello from imaplib\r\n")
out["append"] = [typ, data[0].decode()]
typ, data = m.store("3", "+FLAGS", "(\\Deleted)")
typ, data = m.expunge()
out["expunge"] = [d.decode() for d in data if d]
typ, data = m.status("Archive", "(MESSAGES UIDNEXT)")
out["status"] = data[0].decode()
typ, data = m.create("Python/Nested")
out["create"] = typ
typ, data = m.rename("Python", "Snake")
out["rename"] = typ
typ, data = m.list('""', "Snake*")
out["list_snake"] = [d.decode() for d in data]
typ, data = m.select("Nope")
out["select_missing"] = [typ, data[0].decode()]
m.logout()

s = imaplib.IMAP4_SSL(host, secure_port, ssl_context=ctx)
typ, data = s.login(user, password)
s.select("Archive", readonly=True)
typ, data = s.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
out["implicit_tls_fetch"] = data[0][1].decode()
typ, data = s.store("1", "+FLAGS", "(\\Seen)")
out["store_readonly"] = [typ, data[0].decode()]
s.logout()

try:
    b = imaplib.IMAP4_SSL(host, secure_port, ssl_context=ctx)
    b.login(user, "wrong password")
    out["bad_login"] = "accepted"
except imaplib.IMAP4.error as e:
    out["bad_login"] = str(e)

print(json.dumps(out))
