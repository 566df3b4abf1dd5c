"""CPT: the built-in set covers the E/M ranges the issue lists; user files are validated by line."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from medcoder.errors import InputFormatError
from medcoder.terminology.cpt import EM_CATEGORY, builtin_cpt, load_cpt_file

EM_CODES = (
    [f"9920{i}" for i in range(2, 6)]
    + [f"9921{i}" for i in range(1, 6)]
    + ["99221", "99222", "99223"]
    + [str(c) for c in range(99231, 99240) if c != 99237]  # 99237 does not exist
    + [f"9928{i}" for i in range(1, 6)]
)


def test_builtin_covers_em_ranges() -> None:
    cpt = builtin_cpt()
    assert len(EM_CODES) == 4 + 5 + 3 + 8 + 5
    assert all(cpt.is_valid(c) for c in EM_CODES)
    assert sorted(cpt.codes(EM_CATEGORY)) == sorted(EM_CODES)
    for code in ("36415", "93000", "71046", "85025", "80053", "99213"):
        assert cpt.is_valid(code), code
    assert "venipuncture" in cpt.description("36415").lower()
    assert "chest" in cpt.description("71046").lower()
    assert not cpt.is_valid("99999") and not cpt.is_valid("abc")
    assert cpt.version.startswith("medcoder-builtin")


def test_builtin_file_carries_licensing_note() -> None:
    text = resources.files("medcoder.terminology").joinpath("data", "cpt_builtin.csv").read_text("utf-8")
    head = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    assert "American Medical Association" in head and "NOT the AMA" in head


def test_user_file(tmp_path: Path) -> None:
    path = tmp_path / "cpt_2026.csv"
    path.write_text(
        "# licensed file\ncode,description\n99213,Some licensed text\n0001F,Cat II\n1234T,Cat III\n"
    )
    cpt = load_cpt_file(path)
    assert cpt.version == "cpt_2026" and len(cpt) == 3
    assert cpt.description("99213") == "Some licensed text" and cpt.is_valid("0001f")
    with pytest.raises(KeyError, match="99214"):
        cpt.get("99214")


@pytest.mark.parametrize(
    ("body", "line", "words"),
    [
        ("code,descriptor\n99213,ok\n9921,short code\n", 3, "not a CPT code"),
        ("code,descriptor\n99213,ok\n\n99213,again\n", 4, "repeats line 2"),
        ("code,descriptor\n99213,\n", 2, "empty descriptor"),
        ("code,descriptor\n99213,a,b\n", 2, "expected 2 columns"),
        ("cpt,text\n99213,a\n", 1, "no 'code' column"),
    ],
)
def test_bad_user_file_names_line(tmp_path: Path, body: str, line: int, words: str) -> None:
    path = tmp_path / "cpt.csv"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(InputFormatError) as err:
        load_cpt_file(path)
    assert err.value.line == line and err.value.path == str(path) and words in str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputFormatError, match="not found"):
        load_cpt_file(tmp_path / "none.csv")
