"""A plan file is read for what it holds, not for what it is called: a workbook saved or
renamed under another suffix is a workbook; a legacy .xls, an encrypted workbook or an .ods is
refused saying how to save it."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from ocop_cycle.plan.importer import read_plan
from ocop_cycle.plan.model import Plan
from tests.plan_sheets import rows, write_xlsx


def _products(plan: Plan | None) -> list[str]:
    assert plan is not None
    return [e.product for e in plan.entries]


@pytest.fixture
def expected(tmp_path: Path) -> list[str]:
    read = read_plan(write_xlsx(tmp_path / "plan.xlsx"))
    return _products(read.plan)


@pytest.mark.parametrize("suffix", [".csv", ".xls", ".xlsm", ".XLSX"])
def test_a_workbook_under_another_suffix_is_read_as_a_workbook(
    tmp_path: Path, expected: list[str], suffix: str
) -> None:
    path = write_xlsx(tmp_path / "plan.xlsx").rename(tmp_path / f"renamed{suffix}")
    read = read_plan(path)
    assert _products(read.plan) == expected


def test_a_legacy_or_encrypted_workbook_is_refused_saying_how_to_save_it(tmp_path: Path) -> None:
    """Both are OLE2 compound files (D0 CF 11 E0 …): neither is a UTF-8 CSV to be resaved."""
    path = tmp_path / "KeHoach.xls"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + bytes(504))
    assert [p.message for p in read_plan(path).problems] == [
        "tệp Excel 97-2003 (.xls) hoặc có mật khẩu: mở bằng Excel, lưu thành .xlsx (Excel "
        "Workbook) không đặt mật khẩu (a legacy .xls or a password-protected workbook: save it "
        "as .xlsx without a password)"
    ]


def test_an_ods_spreadsheet_is_refused_saying_how_to_save_it(tmp_path: Path) -> None:
    path = tmp_path / "KeHoach.ods"
    with zipfile.ZipFile(path, "w") as archive:  # its mimetype comes first, stored
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    assert [p.message for p in read_plan(path).problems] == [
        "tệp OpenDocument (.ods) chưa được hỗ trợ: lưu thành .xlsx (an .ods spreadsheet is not "
        "supported: save it as .xlsx)"
    ]


def test_excels_unicode_text_reads_as_the_same_plan(tmp_path: Path, expected: list[str]) -> None:
    """ "Unicode Text" is UTF-16 with its byte-order mark, tab-separated."""
    text = "\r\n".join("\t".join("" if c is None else str(c) for c in row) for row in rows())
    path = tmp_path / "KeHoach.txt"
    path.write_bytes(text.encode("utf-16"))
    assert _products(read_plan(path).plan) == expected
