"""A small PDF reader/writer for the attack corpus (python3 standard library only).

Reads a file's cross-reference chain (classic tables, xref streams, hybrid /XRefStm, object
streams), parses objects into Python values, and appends incremental updates byte for byte
deterministically. It knows just enough PDF to build hostile updates; it is not a validator.
"""
import re
import zlib

WS = b" \t\r\n\f\x00"
DELIM = b"()<>[]{}/%"


class Name(str):
    """A PDF name, stored without the slash (raw, #xx escapes kept)."""


class Ref(tuple):
    def __new__(cls, num, gen=0):
        return tuple.__new__(cls, (int(num), int(gen)))

    @property
    def num(self):
        return self[0]


class LitStr(bytes):
    """A literal string's raw bytes between the parentheses (escapes kept)."""


class HexStr(bytes):
    """A hex string's raw bytes between the angle brackets."""


class Num(str):
    """A number token kept as written."""


class Stream:
    def __init__(self, d, data):
        self.dict = d
        self.data = data  # raw (encoded) bytes

    def decoded(self):
        f = self.dict.get("Filter")
        filters = f if isinstance(f, list) else ([f] if f is not None else [])
        data = self.data
        for flt in filters:
            if flt == "FlateDecode":
                data = zlib.decompress(data)
                parms = self.dict.get("DecodeParms")
                if isinstance(parms, dict) and int(parms.get("Predictor", 1)) >= 10:
                    data = _png_unpredict(data, int(parms.get("Columns", 1)))
            else:
                raise ValueError("filter %s not supported" % flt)
        return data


def _png_unpredict(data, columns):
    out, prev, row = bytearray(), bytearray(columns), columns + 1
    for i in range(0, len(data), row):
        ft, line = data[i], bytearray(data[i + 1:i + row])
        for j in range(len(line)):
            left = line[j - 1] if j else 0
            up = prev[j]
            ul = prev[j - 1] if j else 0
            if ft == 1:
                line[j] = (line[j] + left) & 0xFF
            elif ft == 2:
                line[j] = (line[j] + up) & 0xFF
            elif ft == 3:
                line[j] = (line[j] + (left + up) // 2) & 0xFF
            elif ft == 4:
                p = left + up - ul
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - ul)
                line[j] = (line[j] + (left if pa <= pb and pa <= pc else up if pb <= pc else ul)) & 0xFF
        out += line
        prev = line
    return bytes(out)


class Parser:
    def __init__(self, data, pos=0):
        self.data, self.pos = data, pos

    def skip_ws(self):
        d, n = self.data, len(self.data)
        while self.pos < n:
            c = d[self.pos]
            if c in WS:
                self.pos += 1
            elif c == 0x25:  # %
                while self.pos < n and d[self.pos] not in b"\r\n":
                    self.pos += 1
            else:
                break

    def token(self):
        self.skip_ws()
        start = self.pos
        d, n = self.data, len(self.data)
        while self.pos < n and d[self.pos] not in WS and d[self.pos] not in DELIM:
            self.pos += 1
        return d[start:self.pos]

    def parse(self):
        self.skip_ws()
        d = self.data
        c = d[self.pos:self.pos + 1]
        if d.startswith(b"<<", self.pos):
            self.pos += 2
            out = {}
            while True:
                self.skip_ws()
                if d.startswith(b">>", self.pos):
                    self.pos += 2
                    return out
                key = self.parse()
                if not isinstance(key, Name):
                    raise ValueError("dictionary key is not a name at %d" % self.pos)
                out[str(key)] = self.parse()
        if c == b"<":
            end = d.index(b">", self.pos)
            s = HexStr(d[self.pos + 1:end])
            self.pos = end + 1
            return s
        if c == b"[":
            self.pos += 1
            out = []
            while True:
                self.skip_ws()
                if d[self.pos:self.pos + 1] == b"]":
                    self.pos += 1
                    return out
                out.append(self.parse())
        if c == b"(":
            depth, i = 0, self.pos
            while True:
                ch = d[i]
                if ch == 0x5C:  # backslash
                    i += 2
                    continue
                if ch == 0x28:
                    depth += 1
                elif ch == 0x29:
                    depth -= 1
                    if depth == 0:
                        break
                i += 1
            s = LitStr(d[self.pos + 1:i])
            self.pos = i + 1
            return s
        if c == b"/":
            self.pos += 1
            start = self.pos
            while self.pos < len(d) and d[self.pos] not in WS and d[self.pos] not in DELIM:
                self.pos += 1
            return Name(d[start:self.pos].decode("latin-1"))
        tok = self.token()
        if tok == b"true":
            return True
        if tok == b"false":
            return False
        if tok == b"null":
            return None
        if re.fullmatch(rb"[+-]?\d+", tok):
            save = self.pos
            t2 = self.token()
            if re.fullmatch(rb"\d+", t2):
                t3 = self.token()
                if t3 == b"R":
                    return Ref(int(tok), int(t2))
            self.pos = save
            return Num(tok.decode())
        if re.fullmatch(rb"[+-]?(\d+\.?\d*|\.\d+)", tok):
            return Num(tok.decode())
        raise ValueError("unexpected token %r at %d" % (tok, self.pos))


def ser(o):
    """PDF syntax of a value (bytes)."""
    if isinstance(o, Stream):
        raise ValueError("a stream is only written as an indirect object")
    if isinstance(o, bool):
        return b"true" if o else b"false"
    if o is None:
        return b"null"
    if isinstance(o, Ref):
        return b"%d %d R" % (o[0], o[1])
    if isinstance(o, Name):
        return b"/" + o.encode("latin-1")
    if isinstance(o, Num):
        return o.encode()
    if isinstance(o, (int, float)):
        return (("%d" % o) if isinstance(o, int) else ("%.4f" % o).rstrip("0").rstrip(".")).encode()
    if isinstance(o, LitStr):
        return b"(" + bytes(o) + b")"
    if isinstance(o, HexStr):
        return b"<" + bytes(o) + b">"
    if isinstance(o, bytes):
        return b"(" + o.replace(b"\\", b"\\\\").replace(b"(", b"\\(").replace(b")", b"\\)") + b")"
    if isinstance(o, str):
        return ser(o.encode("latin-1"))
    if isinstance(o, list):
        return b"[" + b" ".join(ser(x) for x in o) + b"]"
    if isinstance(o, dict):
        parts = []
        for k, v in o.items():
            parts.append(b"/" + k.encode("latin-1") + b" " + ser(v))
        return b"<< " + b" ".join(parts) + b" >>"
    raise TypeError(type(o))


def ser_object(o):
    """An indirect object's body: a value, or a stream (its /Length set from the data)."""
    if isinstance(o, Stream):
        d = dict(o.dict)
        d["Length"] = len(o.data)
        return ser(d) + b"\nstream\n" + o.data + b"\nendstream"
    return ser(o)


def stream(content, **keys):
    """A new (uncompressed) stream object."""
    d = {k: v for k, v in keys.items()}
    return Stream(d, content)


class Pdf:
    """One file's bytes and its final cross-reference state."""

    def __init__(self, data):
        self.data = data
        self.startxref = last_startxref(data)
        self.entries = {}  # num -> ('n', offset, gen) | ('c', stream_num, index) | ('f',)
        self.trailer = None
        self.last_is_stream = False
        self.xref_sections = []  # offsets, newest first
        self._objstm_cache = {}
        self._read_chain(self.startxref)

    # --- cross references -----------------------------------------------------------------
    def _read_chain(self, offset):
        seen = set()
        first = True
        while offset is not None and offset not in seen:
            seen.add(offset)
            self.xref_sections.append(offset)
            if self.data.startswith(b"xref", offset):
                trailer, entries = self._read_table(offset)
                if first:
                    self.last_is_stream = False
                stm = trailer.get("XRefStm")
                if stm is not None:
                    _, e2 = self._read_xref_stream(int(stm))
                    for k, v in e2.items():
                        self.entries.setdefault(k, v)
            else:
                trailer, entries = self._read_xref_stream(offset)
                if first:
                    self.last_is_stream = True
            for k, v in entries.items():
                self.entries.setdefault(k, v)
            if first:
                self.trailer = trailer
                first = False
            prev = trailer.get("Prev")
            offset = int(prev) if prev is not None else None

    def _read_table(self, offset):
        p = Parser(self.data, offset + 4)
        entries = {}
        while True:
            p.skip_ws()
            if self.data.startswith(b"trailer", p.pos):
                p.pos += 7
                return p.parse(), entries
            first, count = int(p.token()), int(p.token())
            for i in range(count):
                off, gen, kind = p.token(), p.token(), p.token()
                n = first + i
                if kind == b"n":
                    entries.setdefault(n, ("n", int(off), int(gen)))
                else:
                    entries.setdefault(n, ("f",))

    def _read_xref_stream(self, offset):
        _, _, s = self.read_at(offset)
        d = s.dict
        data = s.decoded()
        w = [int(x) for x in d["W"]]
        index = [int(x) for x in d.get("Index", [0, int(d["Size"])])]
        entries, pos = {}, 0

        def field(width, default):
            nonlocal pos
            if width == 0:
                return default
            v = int.from_bytes(data[pos:pos + width], "big")
            pos += width
            return v

        for j in range(0, len(index), 2):
            for i in range(index[j + 1]):
                t, f2, f3 = field(w[0], 1), field(w[1], 0), field(w[2], 0)
                n = index[j] + i
                if t == 1:
                    entries[n] = ("n", f2, f3)
                elif t == 2:
                    entries[n] = ("c", f2, f3)
                else:
                    entries[n] = ("f",)
        return d, entries

    # --- objects -------------------------------------------------------------------------
    def read_at(self, offset):
        """(num, gen, value) of the indirect object at `offset`."""
        m = re.compile(rb"(\d+)\s+(\d+)\s+obj").match(self.data, offset)
        if not m:
            raise ValueError("no object at %d" % offset)
        p = Parser(self.data, m.end())
        value = p.parse()
        p.skip_ws()
        if isinstance(value, dict) and self.data.startswith(b"stream", p.pos):
            pos = p.pos + 6
            if self.data[pos:pos + 2] == b"\r\n":
                pos += 2
            else:
                pos += 1
            length = value["Length"]
            if isinstance(length, Ref):
                length = self.get(length.num)
            value = Stream(value, self.data[pos:pos + int(length)])
        return int(m.group(1)), int(m.group(2)), value

    def get(self, num):
        if isinstance(num, Ref):
            num = num.num
        e = self.entries.get(num)
        if e is None or e[0] == "f":
            return None
        if e[0] == "n":
            return self.read_at(e[1])[2]
        objs = self._objstm(e[1])
        return objs.get(num)

    def resolve(self, v):
        return self.get(v) if isinstance(v, Ref) else v

    def _objstm(self, num):
        if num not in self._objstm_cache:
            s = self.get(num)
            data = s.decoded()
            n, first = int(s.dict["N"]), int(s.dict["First"])
            p = Parser(data, 0)
            pairs = [(int(p.token()), int(p.token())) for _ in range(n)]
            out = {}
            for onum, off in pairs:
                out[onum] = Parser(data, first + off).parse()
            self._objstm_cache[num] = out
        return self._objstm_cache[num]

    def offset_of(self, num):
        e = self.entries[num]
        assert e[0] == "n", "object %d is not at a file offset" % num
        return e[1]

    def size(self):
        return max(int(self.trailer.get("Size", 0)), max(self.entries) + 1)

    # --- document structure ----------------------------------------------------------------
    def root_ref(self):
        return self.trailer["Root"]

    def catalog(self):
        return self.get(self.root_ref())

    def pages(self):
        """[(ref, dict)] in page order."""
        out = []

        def walk(ref, depth=0):
            node = self.get(ref)
            if node.get("Type") == "Pages":
                for k in node["Kids"]:
                    walk(k, depth + 1)
            else:
                out.append((ref, node))

        walk(self.catalog()["Pages"])
        return out

    def fields(self):
        """{qualified name: (ref, dict)} of the AcroForm's fields (terminal and not)."""
        out = {}
        form = self.resolve(self.catalog().get("AcroForm"))
        if not form:
            return out

        def walk(ref, prefix):
            f = self.get(ref)
            t = f.get("T")
            name = prefix
            if t is not None:
                t = decode_text(t)
                name = t if not prefix else prefix + "." + t
            out[name] = (ref, f)
            for k in f.get("Kids", []) or []:
                if "T" in (self.get(k) or {}):
                    walk(k, name)

        for r in self.resolve(form["Fields"]):
            walk(r, "")
        return out


def decode_text(s):
    raw = bytes(s)
    if isinstance(s, HexStr):
        raw = bytes.fromhex(re.sub(rb"\s", b"", raw).decode())
    elif isinstance(s, LitStr):
        raw = _unescape(raw)
    if raw.startswith(b"\xfe\xff"):
        return raw[2:].decode("utf-16-be")
    return raw.decode("latin-1")


def _unescape(raw):
    out, i = bytearray(), 0
    esc = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("f"): 12}
    while i < len(raw):
        c = raw[i]
        if c == 0x5C and i + 1 < len(raw):
            n = raw[i + 1]
            if n in esc:
                out.append(esc[n]); i += 2
            elif 0x30 <= n <= 0x37:
                j = i + 1
                while j < len(raw) and j < i + 4 and 0x30 <= raw[j] <= 0x37:
                    j += 1
                out.append(int(raw[i + 1:j], 8) & 0xFF); i = j
            elif n in b"\r\n":
                i += 2
            else:
                out.append(n); i += 2
        else:
            out.append(c); i += 1
    return bytes(out)


def text_string(s):
    """A text string value (UTF-16BE with BOM when not plain ASCII)."""
    try:
        s.encode("ascii")
        return s.encode("ascii")
    except UnicodeEncodeError:
        return HexStr((b"\xfe\xff" + s.encode("utf-16-be")).hex().upper().encode())


def last_startxref(data):
    i = data.rfind(b"startxref")
    if i < 0:
        raise ValueError("no startxref")
    return int(Parser(data, i + 9).token())


def append_update(data, objects, trailer=None, xref_stream=None, deleted=(), raw_entries=None,
                  generations=None, object_stream=None):
    """`data` plus one incremental update.

    objects: {num: value or Stream or raw bytes body}, written in number order.
    trailer: keys replacing the previous trailer's (e.g. {"Root": Ref(..)}); Prev/Size are set.
    xref_stream: True for a cross-reference stream, False for a table, None: as the base.
    deleted: numbers marked free.  raw_entries: {num: offset} pointing anywhere in the file.
    generations: {num: gen} for the written objects.  object_stream: {num: value} put in one
    new /ObjStm (only with an xref stream).
    """
    base = Pdf(data)
    if xref_stream is None:
        xref_stream = base.last_is_stream
    generations = generations or {}
    out = bytearray(data)
    if not out.endswith(b"\n"):
        out += b"\n"
    entries = {}
    for num in sorted(objects):
        body = objects[num]
        if not isinstance(body, (bytes, bytearray)) or isinstance(body, (LitStr, HexStr)):
            body = ser_object(body)
        gen = generations.get(num, 0)
        entries[num] = ("n", len(out), gen)
        out += b"%d %d obj\n" % (num, gen) + bytes(body) + b"\nendobj\n"
    for num, off in (raw_entries or {}).items():
        entries[num] = ("n", off, generations.get(num, 0))
    for num in deleted:
        entries[num] = ("f",)
    highest = max([base.size() - 1] + list(entries) + list(object_stream or {}))
    t = {k: v for k, v in base.trailer.items()
         if k in ("Root", "Info", "ID", "Encrypt")}
    t.update(trailer or {})
    t["Prev"] = base.startxref
    if object_stream:
        assert xref_stream, "object streams need an xref stream"
        stm_num = highest + 1
        highest = stm_num
        header, body = [], bytearray()
        for i, (num, value) in enumerate(sorted(object_stream.items())):
            header.append(b"%d %d" % (num, len(body)))
            body += ser(value) + b"\n"
            entries[num] = ("c", stm_num, i)
        head = b" ".join(header) + b"\n"
        s = Stream({"Type": Name("ObjStm"), "N": len(object_stream), "First": len(head)},
                   head + bytes(body))
        entries[stm_num] = ("n", len(out), 0)
        out += b"%d 0 obj\n" % stm_num + ser_object(s) + b"\nendobj\n"
    xref_offset = len(out)
    if xref_stream:
        self_num = highest + 1
        entries[self_num] = ("n", xref_offset, 0)
        width = 1
        while width < 8 and (xref_offset >> (8 * width)) != 0:
            width += 1
        rows, index = bytearray(), []
        for first, run in _runs(sorted(entries)):
            index += [first, len(run)]
            for n in run:
                e = entries[n]
                if e[0] == "n":
                    rows += bytes([1]) + e[1].to_bytes(width, "big") + e[2].to_bytes(2, "big")
                elif e[0] == "c":
                    rows += bytes([2]) + e[1].to_bytes(width, "big") + e[2].to_bytes(2, "big")
                else:
                    rows += bytes([0]) + (0).to_bytes(width, "big") + (1).to_bytes(2, "big")
        d = {"Type": Name("XRef"), "Size": self_num + 1, "Index": index, "W": [1, width, 2]}
        d.update(t)
        out += b"%d 0 obj\n" % self_num + ser_object(Stream(d, bytes(rows))) + b"\nendobj\n"
    else:
        out += b"xref\n0 1\n0000000000 65535 f\r\n"
        for first, run in _runs(sorted(n for n in entries if n != 0)):
            out += b"%d %d\n" % (first, len(run))
            for n in run:
                e = entries[n]
                if e[0] == "n":
                    out += b"%010d %05d n\r\n" % (e[1], e[2])
                else:
                    out += b"0000000000 00001 f\r\n"
        d = {"Size": highest + 1}
        d.update(t)
        out += b"trailer\n" + ser(d) + b"\n"
    out += b"startxref\n%d\n%%%%EOF\n" % xref_offset
    return bytes(out)


def _runs(nums):
    run = []
    for n in nums:
        if run and n == run[-1] + 1:
            run.append(n)
        else:
            if run:
                yield run[0], run
            run = [n]
    if run:
        yield run[0], run
