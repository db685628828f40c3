"""Uploaded tables: hostile files are refused by the limit they break, before any cell is
built; real spreadsheets (shared strings, dates, gaps) read as the user typed them."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from filings.models import BulkUpload
from filings.tables import TableLimits, table_rows
from portal.errors import FieldErrors

NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
REL_NS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'


def xlsx(
    sheet_data: str,
    *,
    dimension: str | None = None,
    shared: list[str] | None = None,
    styles: str | None = None,
    prolog: str = "",
    sheet_bytes: bytes | None = None,
) -> bytes:
    """A minimal workbook as Excel lays it out, with whatever the test needs inside."""
    rels = [
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    ]
    files = {
        "xl/workbook.xml": f'<workbook {NS} {REL_NS}><sheets><sheet name="S" sheetId="1" '
        'r:id="rId1"/></sheets></workbook>',
        "xl/worksheets/sheet1.xml": sheet_bytes
        or (
            f"{prolog}<worksheet {NS}>"
            + (f'<dimension ref="{dimension}"/>' if dimension else "")
            + f"<sheetData>{sheet_data}</sheetData></worksheet>"
        ),
    }
    if shared is not None:
        items = "".join(shared)
        files["xl/sharedStrings.xml"] = f"<sst {NS}>{items}</sst>"
        rels.append(
            '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
        )
    if styles is not None:
        files["xl/styles.xml"] = f"<styleSheet {NS}>{styles}</styleSheet>"
        rels.append(
            '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/'
            '2006/relationships/styles" Target="styles.xml"/>'
        )
    files["xl/_rels/workbook.xml.rels"] = (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(rels)
        + "</Relationships>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def refusal(content: bytes, limits: TableLimits | None = None) -> str:
    with pytest.raises(FieldErrors) as caught:
        list(table_rows(content=content, **({"limits": limits} if limits else {})))
    ((rule, _message),) = caught.value.fields["file"]
    return rule


def test_a_tiny_sheet_claiming_every_cell_of_excel_is_refused_by_its_declared_dimension():
    content = xlsx(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>성명</t></is></c></row>',
        dimension="A1:XFD1048576",
    )
    assert len(content) < 2000
    assert refusal(content) == "dimension"


def test_a_zip_bomb_is_refused_by_its_compression_ratio_before_it_is_inflated():
    padding = b"<row/>" * 2_000_000  # 12 MB of XML that deflates to almost nothing
    content = xlsx("", sheet_bytes=f"<worksheet {NS}><sheetData>".encode() + padding)
    assert len(content) < 200_000
    assert refusal(content) == "compression_ratio"


def test_a_workbook_larger_than_the_uncompressed_limit_is_refused():
    limits = TableLimits(max_uncompressed=10_000)
    rows = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(1, 400))
    assert refusal(xlsx(rows), limits) == "uncompressed_size"


def test_a_cell_beyond_the_column_limit_is_refused_while_streaming():
    assert refusal(xlsx('<row r="1"><c r="ZZ1"><v>1</v></c></row>')) == "max_columns"


def test_a_sheet_that_jumps_to_its_last_row_stops_at_the_blank_row_allowance():
    content = xlsx(
        '<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="A1048576"><v>1</v></c></row>'
    )
    assert refusal(content) == "max_rows"


def test_more_filled_rows_than_the_limit_are_refused_as_soon_as_the_limit_passes():
    rows = "".join(f'<row r="{n}"><c r="A{n}"><v>{n}</v></c></row>' for n in range(1, 13))
    assert refusal(xlsx(rows), TableLimits(max_rows=10)) == "max_rows"


def test_a_document_type_declaration_with_entities_is_refused():
    prolog = '<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol">]>'
    content = xlsx(
        '<row r="1"><c r="A1" t="inlineStr"><is><t>&lol;</t></is></c></row>', prolog=prolog
    )
    assert refusal(content) == "xlsx"


def test_an_old_binary_excel_file_is_refused_with_advice_to_save_as_xlsx():
    assert refusal(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600) == "xls"


def test_a_broken_zip_and_garbage_xml_are_refused_as_unreadable():
    assert refusal(b"PK\x03\x04 not really a zip") == "xlsx"
    assert refusal(xlsx("", sheet_bytes=b"<worksheet><sheetData><row>")) == "xlsx"


def test_a_csv_field_larger_than_csv_allows_is_refused_not_a_server_error():
    content = ("성명\n" + '"' + "가" * 200_000 + '"\n').encode()
    assert refusal(content) == "csv"


def test_shared_strings_dates_and_gaps_read_as_the_user_typed_them():
    shared = [
        "<si><t> 김민준 </t></si>",
        # A rich-text run and a phonetic reading: the reading is not part of the name.
        '<si><r><t>이</t></r><r><t>서연</t></r><rPh sb="0" eb="1"><t>イ</t></rPh></si>',
    ]
    styles = (
        '<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\\.mm\\.dd"/></numFmts>'
        '<cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/></cellXfs>'
    )
    rows = (
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="C1" s="1"><v>46083</v></c></row>'
        '<row r="3"><c r="A3" t="s"><v>1</v></c><c r="B3"><v>2500000.0</v></c>'
        '<c r="C3" s="2"><v>46084</v></c><c r="D3" t="b"><v>1</v></c></row>'
    )
    table = list(table_rows(content=xlsx(rows, shared=shared, styles=styles)))
    assert table == [
        ["김민준", "", date(2026, 3, 2).isoformat()],
        [],
        ["이서연", "2500000", "2026-03-03", "True"],
    ]


def test_a_workbook_saved_by_openpyxl_reads_the_same_as_openpyxl_reads_it():
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["성명", "입사일", "월 보수액", None, "비고"])
    ws.append(["김민준", date(2026, 3, 2), 2_500_000, None, " 메모 "])
    buffer = io.BytesIO()
    wb.save(buffer)
    assert list(table_rows(content=buffer.getvalue())) == [
        ["성명", "입사일", "월 보수액", "", "비고"],
        ["김민준", "2026-03-02", "2500000", "", "메모"],
    ]


@pytest.mark.django_db
def test_the_bulk_upload_answers_a_hostile_workbook_with_a_400_naming_the_limit(
    api_client, workplace
):
    content = xlsx('<row r="1"><c r="A1"><v>1</v></c></row>', dimension="A1:XFD1048576")
    response = api_client.post(
        f"/api/v1/workplaces/{workplace.pk}/bulk-reports/",
        {"file": SimpleUploadedFile("bomb.xlsx", content), "dry_run": "true"},
        format="multipart",
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["fields"]["file"][0]["rule"] == "dimension"
    assert "XFD1048576" in error["fields"]["file"][0]["message"]
    assert not BulkUpload.objects.exists()
