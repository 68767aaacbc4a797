#!/usr/bin/env python3
"""Writes the small seed corpora under fuzz/corpus/<target>/ (a few KB each).

Seeds are cut from examples/ and the bundled catalog, or generated here, so
they are reproducible: run `python3 fuzz/make_seeds.py` from the project root.
Tiny .xlsx files are written by hand (a zip of five XML parts), so no
spreadsheet library is needed.
"""
import io
import json
import os
import re
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "fuzz", "corpus")


def write(target, name, data):
    folder = os.path.join(CORPUS, target)
    os.makedirs(folder, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def read(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def statement_seeds():
    text = read("examples/saas-valid.yaml")
    head = text.split("controls:\n", 1)[0]
    controls = [l for l in text.split("controls:\n", 1)[1].splitlines() if l.startswith('  "')]
    # Short decisions only, to stay a few KB.
    short = [l for l in controls if len(l) < 120][:12]
    body = head.split("risks:\n", 1)[0]
    write("statement_file", "valid-head.yaml", body + "controls:\n" + "\n".join(short) + "\n")
    write(
        "statement_file",
        "excluded.yaml",
        'catalog: "ismap-2022-excerpt"\ndate: 2026-04-01\nservice:\n  name: "x"\n  model: "IaaS"\n'
        'controls:\n  "8.1.2": { decision: "excluded", reason: "no assets" }\n'
        '  "8.1.2.7.PB": { decision: "implemented" }\n  "9.4.2.2.B": { decision: "inherited", from: "C21-0008-2" }\n',
    )
    doc = {
        "catalog": "ismap-2022-excerpt",
        "date": "2026-04-01",
        "service": {"name": "x", "model": "SaaS", "underlying": ["C21-0008-2"]},
        "controls": {"5.1.1": {"decision": "selected"}, "5.1.1.1": {"decision": "implemented", "individual_control": "方針"}},
    }
    write("statement_file", "small.json", json.dumps(doc, ensure_ascii=False, indent=1))


def pack_seeds():
    text = read("catalogs/ismap-2022-excerpt.yaml")
    head, rest = text.split("chapters:\n", 1)
    header = re.sub(r"(?m)^  (ja|en): \".{200,}\"$", lambda m: f'  {m.group(1)}: "抜粋 / excerpt"', head)
    pack = (
        header
        + "chapters:\n  - number: 5\n    title: { ja: \"方針\", en: \"Policies\" }\n"
        + "  - number: 8\n    title: { ja: \"資産\", en: \"Assets\" }\n"
        + "categories:\n"
        + '  - id: "5.1"\n    title: { ja: "方向性", en: "Direction" }\n    purpose: { ja: "目的", en: "Purpose" }\n'
        + '  - id: "8.1"\n    title: { ja: "責任", en: "Responsibility" }\n    purpose: { ja: "目的", en: "Purpose" }\n'
        + "controls:\n"
        + '  - id: "5.1.1"\n    title: { ja: "方針群", en: "Policies" }\n    text: { ja: "定める。", en: "Define." }\n    quoted: true\n'
        + '  - id: "5.1.1.2"\n    title: { ja: "要求", en: "Needs" }\n    text: { ja: "扱う。", en: "Address." }\n    jis_option: true\n'
        + '  - id: "8.1.2"\n    title: { ja: "所有", en: "Ownership" }\n    text: { ja: "所有する。", en: "Own." }\n'
        + '  - id: "8.1.2.7.PB"\n    title: { ja: "鍵", en: "Keys" }\n    text: { ja: "消去する。", en: "Erase." }\n    origin: new_in_ismap\n    liu_important: true\n'
    )
    write("catalog_pack", "small-pack.yaml", pack)
    write("catalog_pack", "broken-pack.yaml", pack.replace('"8.1.2.7.PB"', '"8.1.9.7.PB"').replace("version:", "versio:"))


def xlsx(rows, sheet="管理策基準"):
    """A minimal workbook: inline strings, one sheet."""
    def cell(r, c, v):
        ref = "ABCD"[c] + str(r)
        v = v.replace("&", "&amp;").replace("<", "&lt;")
        return f'<c r="{ref}" t="inlineStr"><is><t>{v}</t></is></c>'

    sheet_rows = "".join(
        f'<row r="{i + 1}">' + "".join(cell(i + 1, c, v) for c, v in enumerate(row) if v) + "</row>"
        for i, row in enumerate(rows)
    )
    parts = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="{sheet}" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>{sheet_rows}</sheetData></worksheet>',
    }
    buffer = io.BytesIO()
    # Stored, not deflated: the fuzzer can then mutate the XML directly.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as z:
        for name, text in parts.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            z.writestr(info, text)
    return buffer.getvalue()


HEADERS = ["管理策番号", "管理策", "変更種別", "JIS Q 27002の実施手引きの選択肢を基に作成された管理策"]


def xlsx_seeds():
    write("catalog_xlsx", "valid.xlsx", xlsx([
        HEADERS,
        ["5", "情報セキュリティのための方針群", "", ""],
        ["5.1", "方向性を示す。", "", ""],
        ["5.1.1", "方針群を定める。", "", ""],
        ["5.1.1.1", "最上位の方針を定める。", "", ""],
        ["5.1.1.2", "事業戦略の要求を扱う。", "", "○"],
        ["※ 5.1.1.3", "新しい管理策。", "※", ""],
        ["6", "組織", "", ""],
        ["6.3", "利用者と事業者の関係を明確にする。", "", ""],
        ["6.3.1.P", "クラウドの役割。", "", ""],
        ["6.3.1.1.PB", "役割を定める。", "", ""],
    ]))
    write("catalog_xlsx", "bad-rows.xlsx", xlsx([
        HEADERS,
        ["5.1.x", "壊れた番号。", "", ""],
        ["5.1.1.1", "", "", ""],
        ["5.1.9.1", "統制目標のない詳細管理策。", "", ""],
    ]))
    write("catalog_xlsx", "no-header.xlsx", xlsx([["番号", "本文"], ["5.1.1", "x"]], sheet="Sheet1"))


def oscal_seeds():
    fedramp = "https://fedramp.gov/ns/oscal"
    doc = {"catalog": {"uuid": "00000000-0000-4000-8000-000000000000", "metadata": {"title": "Seed baseline", "oscal-version": "1.0.4"},
           "groups": [{"id": "ac", "title": "Access Control", "controls": [
               {"id": "ac-1", "props": [{"name": "method", "ns": fedramp, "value": "ATTEST"}]},
               {"id": "ac-2", "controls": [{"id": "ac-2.1"}, {"id": "ac-2.12", "props": [{"name": "status", "value": "withdrawn"}]}]},
               {"id": "ac-8", "props": [{"name": "method", "ns": fedramp, "value": "FED"}]}]},
               {"id": "cp", "groups": [{"id": "cp-x", "controls": [{"id": "cp-2", "props": [{"name": "method", "ns": fedramp, "value": "NSO"}]}]}]}]}}
    write("oscal_catalog", "baseline.json", json.dumps(doc, indent=1))
    write("oscal_catalog", "flat.json", json.dumps({"catalog": {"metadata": {}, "controls": [{"id": "pe-3"}, {"id": "sa-15.9"}]}}))

    # For oscal_validate: problems of every kind, members out of key order
    # (json.dumps keeps the order written here) and an escaped key.
    u = lambda n: "00000000-0000-4000-8000-%012d" % n
    write("oscal_validate", "catalog-problems.json", json.dumps({"catalog": {
        "uuid": u(1), "metadata": {"title": "t", "oscal-version": "1.0.2", "roles": [{"id": "r"}, {"id": "r"}]},
        "groups": [{"id": "g", "controls": [{"uuid": u(2), "id": "c"}, {"id": "c", "uuid": u(1)},
                                            {"id": "d", "links": [{"href": "#nowhere"}, {"href": "#" + u(9)}, {"href": "#c"}]}]}],
        "back-matter": {"resources": [{"uuid": u(2)}]},
        "a/b": [{"role-id": "nobody", "uuid": u(3)}]}}, indent=1))
    write("oscal_validate", "ssp-references.json", json.dumps({"system-security-plan": {
        "uuid": u(10), "metadata": {"oscal-version": "1.1.2", "parties": [{"uuid": u(11), "member-of-organizations": [u(12), u(11)]}],
                                    "links": [{"rel": "source-profile", "href": "#x"}]},
        "control-implementation": {"implemented-requirements": [{"uuid": u(13), "control-id": "ac-1", "role-ids": ["a", ["b"]],
                                                                 "party-uuid": u(11), "location-uuids": "x"}]}}}))


def id_seeds():
    write("id_lists", "nist.txt", "AC-2\nAC-2(1)\nac-2.1\nAC-2 (12)  # comment\nSA-15(9)\n\n")
    write("id_lists", "annex-a.txt", "A.9.2.3\n9.2.4\nA.18.1.4\n")
    write("id_lists", "ismap.txt", "8.1.2.7.PB\n6.3.1.P\n3.1.4\n9.4.2.2.B\n")


def deep_seeds():
    """Issue 12: nesting just past the readers' limits (XML 64 elements,
    JSON and YAML 128 levels; crates/ismap-formats/src/limits.rs) and alias
    bombs, small enough for libFuzzer to mutate; the fuzzer then finds the
    edges around them."""
    def xml(groups):
        return ('<?xml version="1.0"?>\n<catalog xmlns="http://csrc.nist.gov/ns/oscal/1.0" uuid="u">\n'
                + "".join(f'<group id="g{i}">' for i in range(groups))
                + '<control id="ac-1"><title>t</title></control>' + "</group>" * groups + "\n</catalog>\n")
    write("oscal_catalog", "deep-65.xml", xml(65))
    write("oscal_catalog", "deep-61-ok.xml", xml(61))
    write("oscal_catalog", "deep-arrays.json", '{"catalog": ' + "[" * 200 + "]" * 200 + "}")
    groups = {"id": "ac-1"}
    for i in range(70):
        groups = {"id": f"g{i}", "groups": [groups]}
    write("oscal_catalog", "deep-groups.json", json.dumps({"catalog": {"metadata": {}, "groups": [groups]}}))
    write("oscal_validate", "deep-arrays.json", '{"catalog": {"uuid": "u", "x": ' + "[" * 200 + "]" * 200 + "}}")
    write("oscal_validate", "deep-objects.json", '{"catalog": ' + '{"a": ' * 130 + "1" + "}" * 130 + "}")
    write("oscal_validate", "deep-groups.json", json.dumps({"catalog": {"uuid": "u", "metadata": {}, "groups": [groups]}}))
    laughs = 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + "".join(
        f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 10))
    block = "".join(" " * i + "a:\n" for i in range(140))
    write("statement_file", "deep-flow.yaml", "service: " + "[" * 140 + "]" * 140 + "\n")
    write("statement_file", "deep-block.yaml", "service:\n" + "".join(" " * (i + 1) + "a:\n" for i in range(140)))
    write("statement_file", "deep.json", '{"service": ' + '{"a": [' * 70 + "1" + "]}" * 70 + "}")
    write("statement_file", "billion-laughs.yaml", laughs)
    write("statement_file", "aliases.yaml",
          'catalog: &c "ismap-2022-excerpt"\ndate: 2026-04-01\nservice: &s { name: "x", model: "SaaS" }\n'
          'controls:\n  "5.1.1": &d { decision: "selected" }\n  "5.1.1.1": *d\n  "5.1.1.2": *d\n')
    write("catalog_pack", "deep-block.yaml", block)
    write("catalog_pack", "billion-laughs.yaml", laughs)
    # A sheet whose used area is 17 billion cells (A1 and XFD1048576).
    far = xlsx([HEADERS, ["5.1.1", "方針群を定める。", "", ""]])
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(far)) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as z:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>far</t></is></c></row></sheetData>')
            z.writestr(zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0)), data)
    write("catalog_xlsx", "far-cell.xlsx", buffer.getvalue())


if __name__ == "__main__":
    deep_seeds()
    statement_seeds()
    pack_seeds()
    xlsx_seeds()
    oscal_seeds()
    id_seeds()
    for target in sorted(os.listdir(CORPUS)):
        folder = os.path.join(CORPUS, target)
        sizes = [os.path.getsize(os.path.join(folder, f)) for f in os.listdir(folder)]
        print(f"{target}: {len(sizes)} seeds, {sum(sizes)} bytes")
