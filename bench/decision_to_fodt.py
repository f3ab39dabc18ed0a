#!/usr/bin/env python3
"""Writes the sample decision (render/samples/*.json) as a flat ODF text document with the same
content and a comparable Decree 30 look (header table, centred bold titles, justified body,
Liberation Serif 13.5 pt), so LibreOffice headless can convert the equivalent document to PDF in
bench/run.sh — the incumbent way such offices make PDFs."""
import json
import sys
from xml.sax.saxutils import escape

data = json.load(open(sys.argv[1], encoding="utf-8"))
out = open(sys.argv[2], "w", encoding="utf-8")


def p(style, text):
    return f'<text:p text:style-name="{style}">{escape(text)}</text:p>\n'


body = []
body.append('<table:table table:name="H"><table:table-column table:number-columns-repeated="2"/>'
            '<table:table-row><table:table-cell>')
body.append(p("C", data["agency"].get("parent", "")))
body.append(p("CB", data["agency"]["name"]))
body.append(p("C", f'Số: {int(data["number"]):02d}/{data["symbol"]}'))
body.append('</table:table-cell><table:table-cell>')
body.append(p("CB", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"))
body.append(p("CB", "Độc lập - Tự do - Hạnh phúc"))
y, m, d = data["date"].split("-")
body.append(p("CI", f'{data["place"]}, ngày {d} tháng {m} năm {y}'))
body.append('</table:table-cell></table:table-row></table:table>\n')
body.append(p("CB", data["type"]))
body.append(p("CB", data["summary"]))
body.append(p("CB", data["issuing_title"]))
for i, b in enumerate(data["legal_bases"]):
    body.append(p("JI", b + ("." if i + 1 == len(data["legal_bases"]) else ";")))
body.append(p("CB", data["type"] + ":"))
for i, a in enumerate(data["articles"]):
    body.append(p("J", f'Điều {i + 1}. {a["text"]}'))
    for k, c in enumerate(a.get("clauses", [])):
        body.append(p("J", f'{k + 1}. {c["text"]}'))
        for j, pt in enumerate(c.get("points", [])):
            body.append(p("J", f'{chr(97 + j)}) {pt}'))
body.append('<table:table table:name="S"><table:table-column table:number-columns-repeated="2"/>'
            '<table:table-row><table:table-cell>')
body.append(p("LBI", "Nơi nhận:"))
for r in data["recipients"]:
    body.append(p("L", "- " + r))
body.append('</table:table-cell><table:table-cell>')
s = data["signer"]
body.append(p("CB", s.get("authority_prefix", "")))
body.append(p("CB", s["title"]))
body.append(p("C", " "))
body.append(p("C", " "))
body.append(p("CB", s["name"]))
body.append('</table:table-cell></table:table-row></table:table>\n')

font = 'style:font-name="Liberation Serif" fo:font-size="13.5pt"'
out.write(f'''<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
 xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
 office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.text">
<office:font-face-decls><style:font-face style:name="Liberation Serif" svg:font-family="'Liberation Serif'"/></office:font-face-decls>
<office:styles>
<style:style style:name="C" style:family="paragraph"><style:paragraph-properties fo:text-align="center"/><style:text-properties {font}/></style:style>
<style:style style:name="CB" style:family="paragraph"><style:paragraph-properties fo:text-align="center"/><style:text-properties {font} fo:font-weight="bold"/></style:style>
<style:style style:name="CI" style:family="paragraph"><style:paragraph-properties fo:text-align="center"/><style:text-properties {font} fo:font-style="italic"/></style:style>
<style:style style:name="J" style:family="paragraph"><style:paragraph-properties fo:text-align="justify" fo:text-indent="1.135cm" fo:margin-bottom="6pt"/><style:text-properties {font}/></style:style>
<style:style style:name="JI" style:family="paragraph"><style:paragraph-properties fo:text-align="justify" fo:text-indent="1.135cm" fo:margin-bottom="3pt"/><style:text-properties {font} fo:font-style="italic"/></style:style>
<style:style style:name="L" style:family="paragraph"><style:text-properties style:font-name="Liberation Serif" fo:font-size="11pt"/></style:style>
<style:style style:name="LBI" style:family="paragraph"><style:text-properties style:font-name="Liberation Serif" fo:font-size="12pt" fo:font-weight="bold" fo:font-style="italic"/></style:style>
</office:styles>
<office:automatic-styles><style:page-layout style:name="A4"><style:page-layout-properties fo:page-width="21cm" fo:page-height="29.7cm" fo:margin-top="2cm" fo:margin-bottom="2cm" fo:margin-left="3cm" fo:margin-right="1.5cm"/></style:page-layout></office:automatic-styles>
<office:master-styles><style:master-page style:name="Standard" style:page-layout-name="A4"/></office:master-styles>
<office:body><office:text>
{''.join(body)}</office:text></office:body></office:document>
''')
