"""Customer id allocation: next sequence per prefix, validation against settings.ids."""

from __future__ import annotations

import pytest
from dealbook.checks.reading import open_book
from dealbook.records.ids import IdError, ids_on_disk, letters_for_industry, next_id, province_of
from dealbook.records.settings import default_settings


def book_of(repo):
    return open_book(str(repo.root), use_cache=False)


def test_first_id_of_a_prefix(repo):
    assert next_id(book_of(repo), "粤", "IT", 2024) == "粤IT2024001"


def test_next_after_highest_not_after_count(repo):
    repo.customer("粤IT2024001")
    repo.customer("粤IT2024007")
    repo.customer("粤MF2024009")  # other letters
    repo.customer("京IT2024010")  # other province
    repo.customer("粤IT2023050", created="2023-03-01", stage_history=[{"stage": "lead", "on": "2023-03-01"}])
    book = book_of(repo)
    assert next_id(book, "粤", "IT", 2024) == "粤IT2024008"
    assert next_id(book, "粤", "IT", 2023) == "粤IT2023051"
    assert next_id(book, "粤", "MF", 2024) == "粤MF2024010"
    assert next_id(book, "沪", "IT", 2024) == "沪IT2024001"


def test_broken_file_still_holds_its_id(repo):
    repo.customer("粤IT2024001")
    repo.write("records/customers/粤IT2024002.yaml", "id: [unclosed\n")
    assert next_id(book_of(repo), "粤", "IT", 2024) == "粤IT2024003"


def test_sequence_digits_from_settings(repo):
    repo.settings("as_of: 2024-05-20\nids:\n  sequence_digits: 4\n")
    repo.customer("粤IT20240041")
    assert next_id(book_of(repo), "粤", "IT", 2024) == "粤IT20240042"


def test_exhausted_prefix(repo):
    repo.settings("as_of: 2024-05-20\nids:\n  sequence_digits: 1\n")
    repo.customer("粤IT20249")
    with pytest.raises(IdError, match="sequence_digits"):
        next_id(book_of(repo), "粤", "IT", 2024)


@pytest.mark.parametrize(
    ("province", "letters", "message"),
    [("广东", "IT", "write 粤"), ("X", "IT", "not one of ids.provinces"), ("粤", "it", "ids.industry_letters"),
     ("粤", "I", "ids.industry_letters"), ("粤", "ABCDE", "ids.industry_letters")],
)
def test_bad_parts_are_refused(repo, province, letters, message):
    with pytest.raises(IdError, match=message):
        next_id(book_of(repo), province, letters, 2024)


@pytest.mark.parametrize(
    ("region", "expected"),
    [("广东 深圳", "粤"), ("广东省深圳市", "粤"), ("深圳", "粤"), ("北京市海淀区", "京"), ("粤", "粤"),
     ("内蒙古 呼和浩特", "蒙"), ("黑龙江", "黑"), ("Tokyo", None), ("", None)],
)
def test_province_of(region, expected):
    assert province_of(region, default_settings()) == expected


@pytest.mark.parametrize(
    ("industry", "expected"),
    [("C3970", "IT"), ("C3970 电子器件制造", "IT"), ("C3411", "MF"), ("I6510", "IT"), ("F5123", "TR"), ("Z99", None)],
)
def test_letters_for_industry(industry, expected):
    assert letters_for_industry(industry, default_settings()) == expected


def test_ids_on_disk_are_the_customer_file_stems(tmp_path) -> None:
    folder = tmp_path / "records" / "customers"
    folder.mkdir(parents=True)
    for name in ("粤IT2024001.yaml", "粤IT2024002.yml", ".粤IT2024003.yaml", "notes.txt", "a.b.yaml", "yaml"):
        (folder / name).write_text("", encoding="utf-8")
    assert ids_on_disk(str(tmp_path)) == {"粤IT2024001", "粤IT2024002", "a.b"}
    assert ids_on_disk(str(tmp_path / "nowhere")) == set()
