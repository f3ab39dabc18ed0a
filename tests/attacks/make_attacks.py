#!/usr/bin/env python3
"""Writes taicho's attack corpus (tests/attacks/*.pdf) from the signed bases in tests/attacks/base/.

Every attack is an incremental update appended to a base file (classic xref table with /Prev, or
an xref stream where the attack is about that) or a byte-level manipulation of it. Deterministic:
rerunning reproduces the committed files byte for byte (no times, no randomness).

  python3 tests/attacks/make_attacks.py            # rewrite the corpus
  python3 tests/attacks/make_attacks.py --check    # exit 1 if a committed file differs
  python3 tests/attacks/make_attacks.py --out DIR --all   # also the files made at test time
  python3 tests/attacks/make_attacks.py --prepare-shadow DRAFT.pdf OUT.pdf
                                                   # the attacker's draft (used by make_bases.sh)
Families: isa- (incremental saving), sw- (signature wrapping), usf- (universal signature
forgery), shadow-hide-/shadow-replace-/shadow-hide-replace- (Mainka et al. 2021), overlay-
(annotations over the decision), issue- (the issue number and date after the seal).
"""
import argparse
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
from pdfkit import (HexStr, LitStr, Name, Num, Pdf, Ref, Stream, append_update,  # noqa: E402
                    last_startxref, ser, stream, text_string)

BASE = os.path.join(HERE, "base")

RED_BOX = b"\nq 1 0 0 rg 72 600 451 60 re f Q\n"  # a red bar across the decision text


def helv(pdf_num):
    """A Helvetica font dictionary (non-embedded standard font)."""
    return {"Type": Name("Font"), "Subtype": Name("Type1"), "BaseFont": Name("Helvetica"),
            "Encoding": Name("WinAnsiEncoding")}


def text_form(bbox, text, font_ref, size=12, fill_white=True, red=False):
    """A form XObject that paints a (white) box and `text` in Helvetica."""
    x0, y0, x1, y1 = [float(v) for v in bbox]
    ops = b"q\n"
    if fill_white:
        ops += b"1 1 1 rg %s %s %s %s re f\n" % tuple(
            fmt(v) for v in (x0, y0, x1 - x0, y1 - y0))
    ops += b"%s rg BT /Hv %d Tf %s %s Td (%s) Tj ET\nQ\n" % (
        b"1 0 0" if red else b"0 0 0", size, fmt(x0 + 2), fmt(y0 + (y1 - y0 - size) / 2 + 2),
        text.encode("latin-1"))
    return stream(ops, Type=Name("XObject"), Subtype=Name("Form"),
                  BBox=[Num(fmt(v).decode()) for v in (x0, y0, x1, y1)],
                  Resources={"Font": {"Hv": font_ref}})


def fmt(v):
    v = float(v)
    return (("%d" % v) if v == int(v) else ("%.2f" % v)).encode()


def first_content(pdf, page):
    c = page["Contents"]
    if isinstance(c, Ref):
        inner = pdf.get(c)
        if isinstance(inner, list):
            return inner[0]
        return c
    return c[0]


def nums(pdf, v):
    return [float(pdf.resolve(x)) for x in pdf.resolve(v)]


class Corpus:
    """The attack files: committed ones, and variants made at test time only (to keep the
    committed bytes under 6 MB; each such variant's family has a committed file)."""

    def __init__(self):
        self.files = {}
        self.at_test_time = {}

    def add(self, name, data, committed=True):
        assert name not in self.files and name not in self.at_test_time, name
        (self.files if committed else self.at_test_time)[name] = data


# --- the attacker's draft (before anyone signs) -------------------------------------------------

def prepare_shadow(draft_bytes):
    """The draft plus one unsigned update, as an attacker would submit it for signing:
    - page 1's /Contents becomes [original, S]; S paints form XObject H (attacker text, red, in
      the bottom margin) and then covers it with a white box (hidden); S is written twice, first
      without the cover (that older definition stays in the file, unused);
    - U, an unused stream with H's painting alone (no cover);
    - an unused page tree P2 and catalog C2 whose page 1 shows H uncovered;
    - a text field `ghi_chu` over the decision text with an empty appearance (nothing visible)."""
    pdf = Pdf(draft_bytes)
    n = pdf.size()
    F, H, S, U, P2, PG1, C2, FLD, FAP = range(n, n + 9)
    pages = pdf.pages()
    p1_ref, p1 = pages[0]
    box = [72, 28, 523, 56]
    objs = {F: helv(F)}
    objs[H] = text_form(box, "QUYET DINH NAY DA BI HUY / THIS DECISION IS VOID", Ref(F), 14,
                        fill_white=True, red=True)
    reveal = b"q /ShdH Do Q\n"
    cover = b"q 1 1 1 rg 72 28 451 28 re f Q\n"
    draft_bytes = append_update(draft_bytes, {S: stream(reveal)}, xref_stream=False)
    pdf = Pdf(draft_bytes)
    objs[S] = stream(reveal + cover)
    objs[U] = stream(reveal)
    res = dict(pdf.resolve(p1["Resources"]))
    xo = dict(pdf.resolve(res.get("XObject", {})) or {})
    xo["ShdH"] = Ref(H)
    res["XObject"] = xo
    contents = p1["Contents"]
    contents = list(pdf.resolve(contents)) if isinstance(pdf.resolve(contents), list) else [contents]
    page = dict(p1)
    page["Contents"] = contents + [Ref(S)]
    page["Resources"] = res
    objs[p1_ref.num] = page
    # The unused alternative: same pages but page 1 shows H uncovered.
    alt = dict(page)
    alt["Contents"] = contents + [Ref(U)]
    alt["Parent"] = Ref(P2)
    objs[PG1] = alt
    objs[P2] = {"Type": Name("Pages"), "Kids": [Ref(PG1)] + [r for r, _ in pages[1:]],
                "Count": len(pages)}
    cat = dict(pdf.catalog())
    cat["Pages"] = Ref(P2)
    objs[C2] = cat
    # A harmless-looking empty text field over the decision text.
    objs[FAP] = stream(b"", Type=Name("XObject"), Subtype=Name("Form"),
                       BBox=[0, 0, 451, 60], Resources={"Font": {"Hv": Ref(F)}})
    objs[FLD] = {"FT": Name("Tx"), "T": b"ghi_chu", "Type": Name("Annot"),
                 "Subtype": Name("Widget"), "Rect": [72, 560, 523, 620], "F": 4,
                 "P": p1_ref, "DA": b"/Hv 12 Tf 0 g", "AP": {"N": Ref(FAP)}}
    annots = list(pdf.resolve(p1.get("Annots", [])) or [])
    page["Annots"] = annots + [Ref(FLD)]
    form_ref = pdf.catalog()["AcroForm"]
    form = dict(pdf.resolve(form_ref))
    form["Fields"] = list(pdf.resolve(form["Fields"])) + [Ref(FLD)]
    dr = dict(pdf.resolve(form.get("DR", {})) or {})
    fonts = dict(pdf.resolve(dr.get("Font", {})) or {})
    fonts["Hv"] = Ref(F)
    dr["Font"] = fonts
    form["DR"] = dr
    if isinstance(form_ref, Ref):
        objs[form_ref.num] = form
    else:
        cat0 = dict(pdf.catalog())
        cat0["AcroForm"] = form
        objs[pdf.root_ref().num] = cat0
    return append_update(draft_bytes, objs, xref_stream=False)


# --- helpers over a signed base -----------------------------------------------------------------

def load(name):
    with open(os.path.join(BASE, name), "rb") as f:
        return f.read()


def page_with_extra_content(pdf, page_ref, page, extra):
    """Redefinition of page's first content stream with `extra` operators appended."""
    c = first_content(pdf, page)
    s = pdf.get(c)
    return c.num, stream(s.decoded() + extra)


def widget_over(pdf, page_ref, rect, ap_ref, subtype, extra):
    d = {"Type": Name("Annot"), "Subtype": Name(subtype), "Rect": rect, "F": 4, "P": page_ref,
         "AP": {"N": ap_ref}}
    d.update(extra)
    return d


def add_annotation(pdf, annot_num, annot, page_index=0, field=False):
    """Objects that put annotation `annot_num` on a page (and in the form when `field`)."""
    ref, page = pdf.pages()[page_index]
    objs = {annot_num: annot}
    annots = page.get("Annots")
    if isinstance(annots, Ref):
        objs[annots.num] = list(pdf.get(annots)) + [Ref(annot_num)]
    else:
        p = dict(page)
        p["Annots"] = list(annots or []) + [Ref(annot_num)]
        objs[ref.num] = p
    if field:
        cat = pdf.catalog()
        form_ref = cat["AcroForm"]
        form = dict(pdf.resolve(form_ref))
        fields = form["Fields"]
        if isinstance(fields, Ref):
            objs[fields.num] = list(pdf.get(fields)) + [Ref(annot_num)]
        else:
            form["Fields"] = list(fields) + [Ref(annot_num)]
            if isinstance(form_ref, Ref):
                objs[form_ref.num] = form
            else:
                c = dict(cat)
                c["AcroForm"] = form
                objs[pdf.root_ref().num] = c
    return objs


def signature_values(pdf):
    """[(field name, field ref, field dict, sig ref, sig dict)] of signed signature fields."""
    out = []
    for name, (ref, f) in pdf.fields().items():
        v = f.get("V")
        if f.get("FT") == "Sig" and isinstance(v, Ref):
            out.append((name, ref, f, v, pdf.get(v)))
    return out


def forged_signature_update(data, sig_keys, name="forged", fix_byte_range=True):
    """An update adding signature field `name` (a widget on page 1) whose value is a signature
    dictionary with `sig_keys`; a "/ByteRange" given as the string "AUTO" is computed to cover
    the final file except the /Contents string."""
    pdf = Pdf(data)
    n = pdf.size()
    SIG, FLD = n, n + 1
    ref, _ = pdf.pages()[0]
    body = b"<< /Type /Sig"
    for k, v in sig_keys.items():
        if v == "AUTO":
            body += b" /%s [0000000000 0000000000 0000000000 0000000000]" % k.encode()
        else:
            body += b" /%s %s" % (k.encode(), v if isinstance(v, bytes) and not isinstance(
                v, (LitStr, HexStr)) and v[:1] in b"<[(/" else ser(v))
    body += b" >>"
    field = {"FT": Name("Sig"), "T": name.encode(), "V": Ref(SIG), "Type": Name("Annot"),
             "Subtype": Name("Widget"), "Rect": [0, 0, 0, 0], "F": 132, "P": ref}
    objs = add_annotation(pdf, FLD, field, 0, field=True)
    objs[SIG] = body
    out = bytearray(append_update(data, objs))
    if "AUTO" in sig_keys.values():
        br = out.rfind(b"[0000000000 0000000000 0000000000 0000000000]")
        sig_start = out.rfind(b"%d 0 obj" % SIG)
        c = out.index(b"/Contents", sig_start) + len(b"/Contents")
        while out[c:c + 1] in b" \r\n":
            c += 1
        a = c
        b = out.index(b">", a) + 1
        text = b"[0 %d %d %d]" % (a, b, len(out) - b)
        text = text.ljust(len(b"[0000000000 0000000000 0000000000 0000000000]"))
        out[br:br + len(text)] = text
    return bytes(out)


def definitions(data, num):
    """Offsets of every "num 0 obj" in the file, oldest first."""
    return [m.start() for m in re.finditer(rb"(?<![0-9])%d 0 obj" % num, data)]


def replace_same_length(data, old, new):
    assert len(old) == len(new), (len(old), len(new))
    assert data.count(old) >= 1
    i = data.rfind(old)
    return data[:i] + new + data[i + len(old):]


# --- the families ------------------------------------------------------------------------------

def isa(c):
    # On the (smaller) approval document; the product flow's sealed one is the base of the
    # issue-, overlay- and shadow- families.
    if True:
        data = load("approval.pdf")
        pdf = Pdf(data)
        p1_ref, p1 = pdf.pages()[0]
        num, s = page_with_extra_content(pdf, p1_ref, p1, RED_BOX)
        c.add("isa-content-redefined.pdf", append_update(data, {num: s}))
        s = stream(RED_BOX)  # the xref mechanics below: a short content is enough
        # The same through a cross-reference stream after the classic tables.
        c.add("isa-content-redefined-xrefstream.pdf",
              append_update(data, {num: s}, xref_stream=True), committed=False)
        # The same object under generation 1 (the page still says "N 0 R").
        c.add("isa-content-redefined-gen1.pdf",
              append_update(data, {num: s}, generations={num: 1}), committed=False)
        # The content stream freed: page 1 shows nothing.
        c.add("isa-content-freed.pdf", append_update(data, {}, deleted=[num]), committed=False)
        # Page 1's dictionary redefined inside an object stream, pointing at a new content.
        n = pdf.size()
        p = dict(p1)
        p["Contents"] = Ref(n)
        c.add("isa-page-in-object-stream.pdf",
              append_update(data, {n: stream(RED_BOX)}, xref_stream=True,
                            object_stream={p1_ref.num: p}))
        # A page added at the end of the document.
        pages_ref = pdf.catalog()["Pages"]
        tree = dict(pdf.get(pages_ref))
        newp = {"Type": Name("Page"), "Parent": pages_ref, "MediaBox": p1.get("MediaBox",
                [0, 0, 595, 842]), "Contents": Ref(n + 1), "Resources": {"Font": {"Hv": Ref(n + 2)}}}
        tree["Kids"] = list(tree["Kids"]) + [Ref(n)]
        tree["Count"] = int(tree["Count"]) + 1
        c.add("isa-page-added.pdf", append_update(data, {
            pages_ref.num: tree, n: newp,
            n + 1: stream(b"BT /Hv 24 Tf 72 700 Td (Phu luc: quyet dinh bi huy) Tj ET"),
            n + 2: helv(0)}))
        # /Root replaced: a new catalog whose page tree shows page 1 with other content.
        cat = dict(pdf.catalog())
        newtree = dict(pdf.get(pages_ref))
        newp1 = dict(p1)
        newp1["Parent"] = Ref(n + 1)
        newp1["Contents"] = Ref(n + 3)
        newtree["Kids"] = [Ref(n + 2)] + list(newtree["Kids"])[1:]
        cat["Pages"] = Ref(n + 1)
        c.add("isa-root-replaced.pdf", append_update(data, {
            n: cat, n + 1: newtree, n + 2: newp1,
            n + 3: stream(pdf.get(num).decoded() + RED_BOX)}, trailer={"Root": Ref(n)}))
        # Only an xref section: page 1's content stream number points at another page's
        # content bytes (already in the signed revision).
        other = first_content(pdf, pdf.pages()[1][1]).num
        c.add("isa-xref-only-repoint.pdf",
              append_update(data, {}, raw_entries={num: pdf.offset_of(other)}))
        # A hybrid-reference update: an empty classic table whose trailer's /XRefStm names an
        # xref stream that redefines page 1's content (readers that honour /XRefStm show it).
        tmp = append_update(data, {num: s}, xref_stream=True)
        xs = last_startxref(tmp)
        t = bytearray(tmp[:tmp.rfind(b"startxref")])
        at = len(t)
        tr = {k: v for k, v in pdf.trailer.items() if k in ("Root", "Info", "ID")}
        tr.update({"Size": Pdf(tmp).size(), "Prev": pdf.startxref, "XRefStm": xs})
        t += (b"xref\n0 1\n0000000000 65535 f\r\n" + b"trailer\n" + ser(tr) +
              b"\nstartxref\n%d\n%%%%EOF\n" % at)
        c.add("isa-hybrid-xrefstm.pdf", bytes(t))
    # A signature's appearance replaced (caught: "existing signature modified") ... and the same
    # with the changed objects also reachable from a new /DSS, which then explains them as
    # "validation data added" (permitted under any P).
    fref, fld = pdf.fields()["officer"]
    ap = pdf.get(fld["AP"]["N"])
    n = pdf.size()
    newap = Stream({"Type": Name("XObject"), "Subtype": Name("Form"), "BBox": ap.dict["BBox"],
                    "Resources": {"Font": {"Hv": Ref(n + 1)}}},
                   b"q 1 0 0 rg BT /Hv 12 Tf 5 20 Td (KHONG DUYET / REJECTED) Tj ET Q\n")
    objs = {fref.num: dict(fld, AP={"N": Ref(n)}), n: newap, n + 1: helv(0)}
    c.add("isa-officer-appearance-replaced.pdf", append_update(data, dict(objs)), committed=False)
    objs.update({n + 2: {"Certs": [fref]},
                 pdf.root_ref().num: dict(pdf.catalog(), DSS=Ref(n + 2))})
    c.add("isa-dss-launders-officer-appearance.pdf", append_update(data, objs))
    # On the sealed document: the catalog's /Perms (which names the certification) removed, or
    # pointed at the seal's signature instead of the officer's.
    data = load("sealed.pdf")
    pdf = Pdf(data)
    cat = dict(pdf.catalog())
    cat.pop("Perms")
    c.add("isa-perms-removed.pdf", append_update(data, {pdf.root_ref().num: cat}))
    cat = dict(pdf.catalog(), Perms={"DocMDP": pdf.fields()["seal"][1]["V"]})
    c.add("isa-perms-to-seal.pdf", append_update(data, {pdf.root_ref().num: cat}))
    # One xref section that lists page 1's content twice: first its signed offset, then a new
    # definition. taicho, poppler and qpdf take the first entry (nothing changed); a reader that
    # lets the later entry win shows the new content. An ambiguous section should not pass.
    num = first_content(pdf, pdf.pages()[0][1]).num
    orig = pdf.offset_of(num)
    body = bytearray(data)
    evil_at = len(body)
    body += b"%d 0 obj\n" % num + ser_object_bytes(stream(pdf.get(num).decoded() + RED_BOX))
    body += b"\nendobj\n"
    at = len(body)
    body += b"xref\n0 1\n0000000000 65535 f\r\n"
    body += b"%d 1\n%010d 00000 n\r\n%d 1\n%010d 00000 n\r\n" % (num, orig, num, evil_at)
    tr = {k: v for k, v in pdf.trailer.items() if k in ("Root", "Info", "ID")}
    tr.update({"Size": pdf.size(), "Prev": pdf.startxref})
    body += b"trailer\n" + ser(tr) + b"\nstartxref\n%d\n%%%%EOF\n" % at
    c.add("isa-xref-duplicate-entry.pdf", bytes(body), committed=False)
    # On the sealed document: xref-only updates that point objects back at their definitions of
    # an earlier revision (still in the file): the seal's field unsigned again ...
    data = load("sealed.pdf")
    pdf = Pdf(data)
    seal = pdf.fields()["seal"][0].num
    c.add("isa-seal-reverted-by-xref.pdf",
          append_update(data, {}, raw_entries={seal: definitions(data, seal)[0]}))


def signature_wrapping(c):
    data = load("approval.pdf")
    pdf = Pdf(data)
    [(name, fref, f, sref, sig)] = signature_values(pdf)
    br = [int(x) for x in sig["ByteRange"]]
    a, b, l2 = br[1], br[2], br[3]
    p1_ref, p1 = pdf.pages()[0]
    cnum = first_content(pdf, p1).num
    evil = stream(pdf.get(cnum).decoded() + RED_BOX)

    # (1) Mladenov et al.'s wrapping: the second signed part moved to a later offset (the
    # /Contents hole widened with zeros), the ByteRange rewritten to point at it, new content for
    # page 1 added and an xref rebuilt for the moved objects.
    gap = 4096
    new_b = b + gap
    m = re.search(rb"/ByteRange\s*\[[^\]]*\]", data[pdf.offset_of(sref.num):])
    br_at = pdf.offset_of(sref.num) + m.start()
    old_br = m.group(0)
    new_br = b"/ByteRange [0 %d %d %d]" % (a, new_b, l2)
    if len(new_br) > len(old_br):
        new_br = new_br.replace(b"/ByteRange [", b"/ByteRange[")
    assert len(new_br) <= len(old_br) and br_at < a
    moved = bytearray(data[:b - 1] + b"0" * gap + data[b - 1:])
    moved[br_at:br_at + len(old_br)] = new_br.ljust(len(old_br))
    entries = {k: (v[1] + (gap if v[1] >= b else 0)) for k, v in pdf.entries.items()
               if v[0] == "n"}
    entries[cnum] = len(moved) + 1
    moved += b"\n%d 0 obj\n" % cnum + ser_object_bytes(evil) + b"\nendobj\n"
    c.add("sw-relocated-second-part.pdf", with_full_xref(bytes(moved), entries, pdf.trailer))
    # (2) ByteRange and signed bytes untouched: page 1's dictionary redefined inside the
    # /Contents hole, after the CMS, as a comment line of the signature dictionary (the hole's
    # bytes are not signed); an update's xref points page 1 there.
    der = bytes.fromhex(data[a + 1:a + 9].decode())
    der_len = 4 + int.from_bytes(der[2:4], "big") if der[1] == 0x82 else 5 + int.from_bytes(
        der[2:5], "big")
    n = pdf.size()
    page = dict(p1, Contents=Ref(n))
    line = b"%d 0 obj " % p1_ref.num + ser(page) + b" endobj"
    head = b"<" + data[a + 1:a + 1 + 2 * der_len] + b">% "
    hole = head + line
    assert len(hole) + 1 <= b - a
    hole = hole + b" " * (b - a - len(hole) - 1) + b"\n"
    body = data[:a] + hole + data[b:]
    c.add("sw-object-in-contents-hole.pdf", append_update(
        body, {n: evil}, raw_entries={p1_ref.num: a + len(head)}))
    # (3) ByteRange not covering the whole file: objects appended after the signed revision,
    # with their own update, and the signature's claimed coverage untouched.
    n = pdf.size()
    c.add("sw-uncovered-new-content.pdf", append_update(data, {
        n: evil, p1_ref.num: dict(p1, Contents=[first_content(pdf, p1), Ref(n)])}))
    # (4) The signature copied into a new field of a later update: a second signature dictionary
    # with the same /ByteRange and /Contents, that does not cover its own dictionary.
    c.add("sw-cloned-signature.pdf", forged_signature_update(data, {
        "Filter": Name("Adobe.PPKLite"), "SubFilter": sig["SubFilter"],
        "ByteRange": sig["ByteRange"], "Contents": sig["Contents"],
        "M": sig.get("M", b"D:20261128000000+07'00'")}, name="officer2"))


def with_full_xref(body, entries, trailer):
    """`body` and one complete classic xref (no /Prev) for `entries` {num: offset}."""
    out = bytearray(body)
    if not out.endswith(b"\n"):
        out += b"\n"
    at = len(out)
    size = max(entries) + 1
    out += b"xref\n0 %d\n" % size
    for i in range(size):
        out += (b"%010d 00000 n\r\n" % entries[i]) if i in entries else b"0000000000 65535 f\r\n"
    t = {k: v for k, v in trailer.items() if k in ("Root", "Info", "ID")}
    t["Size"] = size
    out += b"trailer\n" + ser(t) + b"\nstartxref\n%d\n%%%%EOF\n" % at
    return bytes(out)


def ser_object_bytes(s):
    from pdfkit import ser_object
    return ser_object(s)


def usf(c):
    data = load("approval.pdf")
    pdf = Pdf(data)
    [(name, fref, f, sref, sig)] = signature_values(pdf)
    real = sig["Contents"]
    common = {"Filter": Name("Adobe.PPKLite"), "SubFilter": Name("ETSI.CAdES.detached"),
              "M": b"D:20261128090000+07'00'", "Name": b"Nguyen Van An"}
    c.add("usf-contents-empty.pdf", forged_signature_update(
        data, dict(common, ByteRange="AUTO", Contents=HexStr(b""))))
    c.add("usf-contents-zeros.pdf", forged_signature_update(
        data, dict(common, ByteRange="AUTO", Contents=HexStr(b"0" * 8192))), committed=False)
    c.add("usf-contents-not-cms.pdf", forged_signature_update(
        data, dict(common, ByteRange="AUTO",
                   Contents=HexStr(b"This is not a CMS SignedData".hex().encode() + b"0" * 64))), committed=False)
    c.add("usf-contents-copied-cms.pdf", forged_signature_update(
        data, dict(common, ByteRange="AUTO", Contents=real)))
    c.add("usf-byterange-missing.pdf", forged_signature_update(
        data, dict(common, Contents=real)))
    c.add("usf-byterange-zero.pdf", forged_signature_update(
        data, dict(common, ByteRange=[0, 0, 0, 0], Contents=real)), committed=False)
    c.add("usf-x509-no-cert.pdf", forged_signature_update(
        data, dict(common, SubFilter=Name("adbe.x509.rsa_sha1"), ByteRange="AUTO",
                   Contents=HexStr(b"0" * 512))))
    c.add("usf-filter-unknown.pdf", forged_signature_update(
        data, dict(common, Filter=Name("Forged.Handler"), SubFilter=Name("forged.sub"),
                   ByteRange="AUTO", Contents=real)), committed=False)
    # In place, on the signature itself.
    sealed = data
    spdf = pdf
    seal = sig
    a, b = int(seal["ByteRange"][1]), int(seal["ByteRange"][2])
    c.add("usf-inplace-contents-zeroed.pdf",
          sealed[:a + 1] + b"0" * (b - a - 2) + sealed[b - 1:])
    old = re.search(rb"/ByteRange\s*\[[^\]]*\]", sealed[spdf.offset_of(sref.num):]).group(0)
    new = b"/ByteRange [0 0 0 0]".ljust(len(old))
    c.add("usf-inplace-byterange-zero.pdf", replace_same_length(sealed, old, new))


def shadow(c):
    data = load("shadow-sealed.pdf")
    pdf = Pdf(data)
    p1_ref, p1 = pdf.pages()[0]
    contents = pdf.resolve(p1["Contents"])
    S = contents[-1].num  # the attacker's cover stream (prepare_shadow)
    res = pdf.resolve(p1["Resources"])
    H = pdf.resolve(res["XObject"])["ShdH"].num
    F = pdf.get(H).dict["Resources"]["Font"]["Hv"].num
    U, P2, PG1, C2 = F + 3, F + 4, F + 5, F + 6
    assert pdf.get(U) is not None and pdf.get(C2).get("Type") == "Catalog"
    # hide: the cover taken away by pointing S at its older definition (xref only) ...
    c.add("shadow-hide-xref-repoint.pdf",
          append_update(data, {}, raw_entries={S: definitions(data, S)[0]}))
    # ... or by redefining S without the cover
    c.add("shadow-hide-cover-removed.pdf", append_update(data, {S: stream(b"q /ShdH Do Q\n")}))
    # replace: the font of the page redefined (Helvetica -> Courier) / the XObject redefined
    font = dict(pdf.get(F))
    font["BaseFont"] = Name("Courier")
    c.add("shadow-replace-font.pdf", append_update(data, {F: font}))
    real_fonts = [v for v in pdf.resolve(res.get("Font", {})).values() if isinstance(v, Ref)]
    if real_fonts:
        f0 = dict(pdf.get(real_fonts[0]))
        f0["BaseFont"] = Name("Courier")
        f0.pop("DescendantFonts", None)
        f0["Subtype"] = Name("Type1")
        f0["Encoding"] = Name("WinAnsiEncoding")
        c.add("shadow-replace-document-font.pdf", append_update(data, {real_fonts[0].num: f0}))
    hx = pdf.get(H)
    c.add("shadow-replace-xobject.pdf", append_update(data, {H: Stream(
        hx.dict, b"q 1 1 1 rg 72 28 451 28 re f 0 g BT /Hv 14 Tf 74 36 Td "
                 b"(So tien hoan tra: 1.000.000.000 dong) Tj ET Q\n")}))
    # replace through a form field that the signed revision had, empty: filled after the seal
    # with an appearance that covers the decision text (a permitted-looking form fill).
    fields = pdf.fields()
    fref, fld = fields["ghi_chu"]
    n = pdf.size()
    newf = dict(fld)
    newf["V"] = b"Quyet dinh da bi thu hoi"
    newf["AP"] = {"N": Ref(n)}
    c.add("shadow-replace-form-overlay.pdf", append_update(data, {
        fref.num: newf, n: text_form([0, 0, 451, 60], "QUYET DINH DA BI THU HOI (REVOKED)",
                                     pdf.get(fld["AP"]["N"]).dict["Resources"]["Font"]["Hv"],
                                     16, red=True)}))
    # hide-and-replace: objects already in the signed revision, unused, made the document
    c.add("shadow-hide-replace-root.pdf", append_update(data, {}, trailer={"Root": Ref(C2)}))
    cat = dict(pdf.catalog())
    cat["Pages"] = Ref(P2)
    c.add("shadow-hide-replace-pages.pdf", append_update(data, {pdf.root_ref().num: cat}))


def overlays(c):
    """Annotations drawn over the decision text after the signatures. The product flow's sealed
    document for the free text, the new field and the empty signature field; the approval
    document for the others (smaller files)."""
    rect = [72, 600, 523, 660]

    def overlay(base_name, annot, field=False):
        data = load(base_name)
        pdf = Pdf(data)
        n = pdf.size()
        a = dict(annot, Type=Name("Annot"), Rect=rect, F=4, P=pdf.pages()[0][0],
                 AP={"N": Ref(n + 1)})
        o = add_annotation(pdf, n, a, 0, field=field)
        o[n + 1] = text_form([0, 0, 451, 60], "DA HUY / VOID", Ref(n + 2), 16, red=True)
        o[n + 2] = helv(0)
        return append_update(data, o)

    freetext = {"Subtype": Name("FreeText"), "Contents": b"DA HUY", "DA": b"/Helv 16 Tf 1 0 0 rg"}
    c.add("overlay-freetext.pdf", overlay("sealed.pdf", freetext))
    c.add("overlay-new-text-field.pdf", overlay("sealed.pdf", {
        "FT": Name("Tx"), "T": b"ghi_chu", "V": b"DA HUY", "Subtype": Name("Widget"),
        "DA": b"/Helv 16 Tf 1 0 0 rg"}, field=True))
    # An empty signature field (permitted under P=2) whose widget appearance covers the text.
    c.add("overlay-empty-signature-field.pdf", overlay("sealed.pdf", {
        "FT": Name("Sig"), "T": b"chu_ky_3", "Subtype": Name("Widget")}, field=True))
    # The seal's own (unchanged) widget also listed in page 1's /Annots: the seal is drawn on
    # page 1 too, at its page-2 rectangle (over the heading).
    data = load("sealed.pdf")
    pdf = Pdf(data)
    p1_ref, p1 = pdf.pages()[0]
    c.add("overlay-seal-widget-on-page1.pdf", append_update(data, {
        p1_ref.num: dict(p1, Annots=list(p1["Annots"]) + [pdf.fields()["seal"][0]])}))
    c.add("overlay-approval-freetext.pdf", overlay("approval.pdf", freetext))
    c.add("overlay-approval-square.pdf", overlay("approval.pdf", {
        "Subtype": Name("Square"), "C": [1, 1, 1], "IC": [1, 1, 1]}))
    c.add("overlay-approval-stamp.pdf", overlay("approval.pdf", {
        "Subtype": Name("Stamp"), "Name": Name("Void")}), committed=False)


def issue(c):
    data = load("sealed.pdf")
    pdf = Pdf(data)
    fields = pdf.fields()
    n = pdf.size()
    for fname in ("so", "ngay"):
        ref, f = fields[fname]
        ap = pdf.get(f["AP"]["N"])
        bbox = [float(pdf.resolve(x)) for x in ap.dict["BBox"]]
        w, h = bbox[2] - bbox[0], bbox[3] - bbox[1]
        other = "99" if fname == "so" else "31"
        redraw = Stream({"Type": Name("XObject"), "Subtype": Name("Form"), "BBox": ap.dict["BBox"],
                         "Resources": {"Font": {"Hv": Ref(n + 1)}}},
                        b"/Tx BMC q BT /Hv %s Tf 0 g 1 %s Td (%s) Tj ET Q EMC\n" % (
                            fmt(min(h * 0.8, 13)), fmt(h * 0.2), other.encode()))
        if fname == "so":
            g = dict(f, V=text_string(other), AP={"N": Ref(n)})
            c.add("issue-so-value-changed.pdf", append_update(data, {ref.num: g, n: redraw,
                                                                     n + 1: helv(0)}))
            g = dict(f, V=text_string(other))
            c.add("issue-so-value-only.pdf", append_update(data, {ref.num: g}))
            g = dict(f)
            g["Ff"] = int(pdf.resolve(f.get("Ff", 0))) & ~1
            c.add("issue-so-readonly-cleared.pdf", append_update(data, {ref.num: g}))
            c.add("issue-so-ap-emptied.pdf", append_update(data, {
                f["AP"]["N"].num: Stream(dict(ap.dict), b"")}))
        g = dict(f, AP={"N": Ref(n)})
        c.add("issue-%s-ap-replaced.pdf" % fname,
              append_update(data, {ref.num: g, n: redraw, n + 1: helv(0)}))
    # The font that only the number's appearance uses redefined (Courier): /V and /AP unchanged.
    ap = pdf.get(fields["so"][1]["AP"]["N"])
    fref = list(pdf.resolve(pdf.resolve(ap.dict["Resources"])["Font"]).values())[0]
    font = dict(pdf.get(fref), BaseFont=Name("Courier"), Subtype=Name("Type1"),
                Encoding=Name("WinAnsiEncoding"))
    font.pop("DescendantFonts", None)
    c.add("issue-so-ap-font-replaced.pdf", append_update(data, {fref.num: font}))
    # (i) again, the changed field also reachable from a new /DSS (explained as DSS, see
    # isa-dss-launders-officer-appearance): /V 99, ReadOnly cleared, /AP redrawn.
    ref, f = fields["so"]
    ap = pdf.get(f["AP"]["N"])
    h = float(pdf.resolve(ap.dict["BBox"][3])) - float(pdf.resolve(ap.dict["BBox"][1]))
    redraw = Stream({"Type": Name("XObject"), "Subtype": Name("Form"), "BBox": ap.dict["BBox"],
                     "Resources": {"Font": {"Hv": Ref(n + 1)}}},
                    b"/Tx BMC q BT /Hv %s Tf 0 g 1 %s Td (99) Tj ET Q EMC\n" % (
                        fmt(min(h * 0.8, 13)), fmt(h * 0.2)))
    c.add("issue-so-changed-via-dss.pdf", append_update(data, {
        ref.num: dict(f, V=text_string("99"), Ff=0, AP={"N": Ref(n)}), n: redraw,
        n + 1: helv(0), n + 2: {"Certs": [ref]},
        pdf.root_ref().num: dict(pdf.catalog(), DSS=Ref(n + 2))}))
    # The number field pointed back at its draft definition by an xref-only update: no number.
    so = fields["so"][0].num
    c.add("issue-so-reverted-by-xref.pdf",
          append_update(data, {}, raw_entries={so: definitions(data, so)[0]}))
    # /NeedAppearances: viewers redraw the fields from their values.
    form_ref = pdf.catalog()["AcroForm"]
    c.add("issue-need-appearances.pdf", append_update(data, {
        form_ref.num: dict(pdf.get(form_ref), NeedAppearances=True)}))
    # (v) objects after the final %%EOF with no xref: a recovering parser reads them
    p1_ref, p1 = pdf.pages()[0]
    cnum = first_content(pdf, p1).num
    evil = stream(b"q 1 1 1 rg 140 700 40 20 re f Q\n" + RED_BOX)
    c.add("issue-trailing-objects-no-xref.pdf",
          data + b"%d 0 obj\n" % cnum + ser_object_bytes(evil) + b"\nendobj\n")
    # (vi) padding after %%EOF: made at test time (generated())


def generated():
    """Files made at test time (not committed): {name: bytes}."""
    sealed = load("sealed.pdf")
    return dict(build_corpus().at_test_time, **{
        "issue-trailing-zeros-64k.pdf": sealed + b"\0" * (64 << 10),
        "issue-trailing-zeros-1m.pdf": sealed + b"\0" * (1 << 20),
        "control-trailing-newline.pdf": sealed + b"\n",
        "control-dss.pdf": dss_update(sealed),
    })


def dss_update(data):
    """A DSS update (what B-LT adds): the catalog's /DSS with the trust roots as /Certs."""
    import base64
    pdf = Pdf(data)
    n = pdf.size()
    with open(os.path.join(BASE, "trust.pem"), "rb") as f:
        pems = re.findall(rb"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", f.read(),
                          re.S)
    objs = {}
    certs = []
    for i, p in enumerate(pems):
        objs[n + 1 + i] = stream(base64.b64decode(b"".join(p.split())))
        certs.append(Ref(n + 1 + i))
    objs[n] = {"Certs": certs}
    cat = dict(pdf.catalog())
    cat["DSS"] = Ref(n)
    objs[pdf.root_ref().num] = cat
    return append_update(data, objs)


def build():
    """The committed files: {name: bytes}."""
    return build_corpus().files


def build_corpus():
    c = Corpus()
    isa(c)
    signature_wrapping(c)
    usf(c)
    shadow(c)
    overlays(c)
    issue(c)
    return c


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="compare with the committed files")
    ap.add_argument("--prepare-shadow", nargs=2, metavar=("DRAFT", "OUT"))
    ap.add_argument("--out", default=HERE)
    ap.add_argument("--all", action="store_true",
                    help="also write the files made at test time (gen: rows of EXPECTED.tsv)")
    a = ap.parse_args()
    if a.prepare_shadow:
        with open(a.prepare_shadow[0], "rb") as f:
            out = prepare_shadow(f.read())
        with open(a.prepare_shadow[1], "wb") as f:
            f.write(out)
        return 0
    files = build()
    os.makedirs(a.out, exist_ok=True)
    if a.all:
        files.update(generated())
    bad = 0
    for name, data in sorted(files.items()):
        path = os.path.join(a.out, name)
        if a.check:
            try:
                with open(path, "rb") as f:
                    same = f.read() == data
            except OSError:
                same = False
            if not same:
                print("differs: %s" % name)
                bad += 1
        else:
            with open(path, "wb") as f:
                f.write(data)
    print("%d files%s" % (len(files), ", %d differ" % bad if a.check else " written"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
