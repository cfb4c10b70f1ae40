"""Customer ids by the seed rule: province character + industry letters + year + sequence."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

from ..text.catalog import N_, SaidError, said
from .book import Book
from .model import CUSTOMER, CUSTOMERS_DIR, UnsafeId, kind_of, safe_id
from .settings import Settings

# Province-level divisions and their one-character abbreviations (省级行政区简称).
PROVINCES: dict[str, str] = {
    "北京": "京", "天津": "津", "上海": "沪", "重庆": "渝", "河北": "冀", "山西": "晋",
    "辽宁": "辽", "吉林": "吉", "黑龙江": "黑", "江苏": "苏", "浙江": "浙", "安徽": "皖",
    "福建": "闽", "江西": "赣", "山东": "鲁", "河南": "豫", "湖北": "鄂", "湖南": "湘",
    "广东": "粤", "海南": "琼", "四川": "川", "贵州": "贵", "云南": "云", "陕西": "陕",
    "甘肃": "甘", "青海": "青", "内蒙古": "蒙", "广西": "桂", "西藏": "藏", "宁夏": "宁",
    "新疆": "新", "香港": "港", "澳门": "澳", "台湾": "台",
}

# Cities people write instead of their province (the municipalities are provinces already).
_CITIES: dict[str, str] = {
    "深圳": "粤", "广州": "粤", "东莞": "粤", "佛山": "粤", "珠海": "粤", "杭州": "浙",
    "宁波": "浙", "南京": "苏", "苏州": "苏", "无锡": "苏", "成都": "川", "武汉": "鄂",
    "长沙": "湘", "西安": "陕", "郑州": "豫", "济南": "鲁", "青岛": "鲁", "厦门": "闽",
    "福州": "闽", "合肥": "皖", "南昌": "赣", "沈阳": "辽", "大连": "辽", "长春": "吉",
    "哈尔滨": "黑", "石家庄": "冀", "太原": "晋", "昆明": "云", "贵阳": "贵", "南宁": "桂",
    "海口": "琼", "兰州": "甘", "西宁": "青", "银川": "宁", "乌鲁木齐": "新", "拉萨": "藏",
    "呼和浩特": "蒙",
}


class IdError(SaidError):
    """An id cannot be allocated; the message says what to change (`str()` in English, `text(_)` in
    the translator's language)."""


def province_of(region: str, settings: Settings | None = None) -> str | None:
    """The province character for a region text (`广东 深圳`, `深圳市`, `粤`), or None when unknown."""
    text = (region or "").strip()
    if not text:
        return None
    allowed = set(settings.raw["ids"]["provinces"]) if settings is not None else set(PROVINCES.values())
    found: str | None = None
    for name, abbreviation in PROVINCES.items():
        if text.startswith(name):
            found = abbreviation
            break
    if found is None:
        found = next((abbr for city, abbr in _CITIES.items() if text.startswith(city)), None)
    if found is None and text[0] in allowed:
        found = text[0]
    return found if found in allowed else None


def letters_for_industry(industry: str, settings: Settings) -> str | None:
    """Industry letters for a GB/T 4754 code (`C3970` → `IT`) from `ids.industry_codes`, longest prefix first."""
    code = (industry or "").strip().split(" ")[0].upper()
    table = settings.raw["ids"].get("industry_codes") or {}
    for length in range(len(code), 0, -1):
        letters = table.get(code[:length])
        if letters:
            return str(letters)
    return None


def check_parts(settings: Settings, province: str, industry_letters: str, year: int) -> None:
    """Raise IdError unless the parts fit the id rule in `settings.ids`."""
    ids = settings.raw["ids"]
    provinces = list(ids["provinces"])
    if province not in provinces:
        guess = province_of(province, settings)
        listed = " ".join(provinces)
        raise IdError(said(N_("province `%(province)s` is not one of ids.provinces (for %(province)s write "
                              "%(guess)s): %(provinces)s"), province=province, guess=guess, provinces=listed)
                      if guess else
                      said(N_("province `%(province)s` is not one of ids.provinces: %(provinces)s"),
                           province=province, provinces=listed))
    if not re.fullmatch(f"(?:{ids['industry_letters']})", industry_letters):
        raise IdError(said(N_("industry letters `%(letters)s` do not match ids.industry_letters `%(pattern)s` "
                              "(e.g. IT)"), letters=industry_letters, pattern=ids["industry_letters"]))
    if not 1000 <= int(year) <= 9999:
        raise IdError(said(N_("year %(year)s is not a four-digit year"), year=year))


def check_id(settings: Settings, customer_id: str) -> str:
    """`customer_id` when it follows the id rule in `settings.ids` (and so can name a file), else IdError."""
    try:
        safe_id(customer_id)
    except UnsafeId as exc:
        raise IdError(exc.said or str(exc)) from None
    if not settings.id_pattern.match(customer_id):
        digits = settings.raw["ids"].get("sequence_digits", 3)
        raise IdError(said(N_("`%(id)s` does not follow the id rule: province character + industry letters + "
                              "year + %(digits)s-digit sequence in ASCII digits, e.g. 粤IT2024001"),
                           id=customer_id, digits=digits))
    return customer_id


def _existing_ids(book: Book) -> set[str]:
    """Every id in use: ids in the records and the stems of customer files (a broken file still holds its id)."""
    found = {c.id for c in book.customers_by_path.values()}
    for path in book.paths:
        if kind_of(path) == CUSTOMER:
            found.add(os.path.splitext(os.path.basename(path))[0])
    return found


def next_id(book: Book, province: str, industry_letters: str, year: int) -> str:
    """The next free id for the prefix: one after the highest sequence in use, zero-padded."""
    return next_id_among(_existing_ids(book), book.settings, province, industry_letters, year)


def ids_on_disk(repo: str) -> set[str]:
    """The stems of the customer files in a working tree (cheaper than reading a Book)."""
    try:
        names = os.listdir(os.path.join(repo, CUSTOMERS_DIR))
    except OSError:
        return set()
    # the stem cut at the last dot (as `os.path.splitext`, without its call per name: 10,000 names a run)
    return {n[:n.rindex(".")] for n in names if n.endswith((".yaml", ".yml")) and n[0] != "."}


def left_out(repo: str, counted: Iterable[str]) -> list[str]:
    """The stems of the customer files in a working tree that a list or a figure leaves out, beside
    the ids it `counted`: files that cannot be read (broken YAML, not a mapping), sorted. A file
    whose id is not its name (a check error) is read, and counted under that id: not one of them."""
    missing = ids_on_disk(repo) - set(counted)
    if not missing:
        return []
    from .load import load_file

    folder = os.path.join(repo, CUSTOMERS_DIR)
    unread = set()
    for name in os.listdir(folder):
        stem = name[:name.rindex(".")] if "." in name else name
        if stem in missing and name.endswith((".yaml", ".yml")):
            loaded = load_file(os.path.join(folder, name))
            if loaded.error is not None or not isinstance(loaded.data, dict):
                unread.add(stem)
    return sorted(unread)


def next_id_among(existing_ids: Iterable[str], settings: Settings, province: str, industry_letters: str,
                  year: int) -> str:
    """`next_id` over a plain collection of ids in use."""
    check_parts(settings, province, industry_letters, year)
    digits = int(settings.raw["ids"].get("sequence_digits", 3))
    prefix = f"{province}{industry_letters}{int(year)}"
    highest = 0
    for existing in existing_ids:
        if existing.casefold().startswith(prefix.casefold()):
            tail = existing[len(prefix):]
            if len(tail) == digits and tail.isascii() and tail.isdigit():
                highest = max(highest, int(tail))
    if highest + 1 >= 10**digits:
        raise IdError(said(N_("all %(count)s ids of %(prefix)s are used: raise ids.sequence_digits in dealbook.yaml"),
                           count=10**digits - 1, prefix=prefix))
    return f"{prefix}{highest + 1:0{digits}d}"
