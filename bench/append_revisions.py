#!/usr/bin/env python3
"""Appends N incremental updates to a PDF whose last section is a classic xref table, each
defining one new object nothing references (as a long-term renewal adds DSS objects).
Usage: append_revisions.py IN OUT N"""
import re
import sys

src, dst, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = bytearray(open(src, "rb").read())
prev = int(re.findall(rb"startxref\s+(\d+)", bytes(data))[-1])
trailer = re.findall(rb"trailer\s*<<(.*?)>>\s*startxref", bytes(data), re.S)[-1]
size = int(re.search(rb"/Size\s+(\d+)", trailer).group(1))
root = re.search(rb"/Root\s+(\d+ \d+ R)", trailer).group(1)
if not data.endswith(b"\n"):
    data += b"\n"
for i in range(count):
    number = size + i
    at = len(data)
    data += b"%d 0 obj\n<< /Renewal %d >>\nendobj\n" % (number, i)
    xref = len(data)
    data += b"xref\n%d 1\n%010d 00000 n \n" % (number, at)
    data += b"trailer\n<< /Size %d /Root %s /Prev %d >>\nstartxref\n%d\n%%%%EOF\n" % (
        number + 1, root, prev, xref)
    prev = xref
open(dst, "wb").write(data)
