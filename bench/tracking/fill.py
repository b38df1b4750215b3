#!/usr/bin/env python3
"""Fills an auyl operator template as an operator would: writes a remark into the comment column
(O) of every work row, and marks every fibre line in progress (status column I), by editing the
sheet XML inside the XLSX. Usage: fill.py TEMPLATE.xlsx FILLED.xlsx"""
import re, sys, zipfile

src, dst = sys.argv[1], sys.argv[2]
zin = zipfile.ZipFile(src)
sheet = zin.read("xl/worksheets/sheet1.xml").decode()
strings = re.findall(r"<si><t[^>]*>(.*?)</t></si>", zin.read("xl/sharedStrings.xml").decode())

def fill_row(m):
    row = m.group(0)
    n = m.group(1)
    if n == "1":
        return row
    row = re.sub(rf'<c r="O{n}"( s="\d+")?/>', rf'<c r="O{n}"\1 t="inlineStr"><is><t>remark from the field</t></is></c>', row)
    kind = re.search(rf'<c r="B{n}"[^>]*t="s"[^>]*><v>(\d+)</v>', row)
    if kind and strings[int(kind.group(1))] == "fibre_line":
        row = re.sub(rf'<c r="I{n}"( s="\d+")? t="s"><v>\d+</v></c>', rf'<c r="I{n}"\1 t="inlineStr"><is><t>in_progress</t></is></c>', row)
    return row

sheet = re.sub(r'<row r="(\d+)".*?</row>', fill_row, sheet, flags=re.S)
with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
    for item in zin.infolist():
        data = sheet.encode() if item.filename == "xl/worksheets/sheet1.xml" else zin.read(item.filename)
        zout.writestr(item, data)
