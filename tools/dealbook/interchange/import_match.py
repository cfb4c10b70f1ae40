"""How a sheet's row names a customer: its company name written loosely alike, or the old sheet's number."""

from __future__ import annotations

import re
import unicodedata

from ..records.book import Book


def name_key(name: str) -> str:
    """A company name as a row is matched by when it is not written exactly alike: full-width
    letters, digits and brackets as half-width, no spaces (`Ａ科技（深圳）有限公司` is `A科技(深圳)有限公司`)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))


def legacy_ids(book: Book) -> dict[str, str]:
    """The old sheet's customer numbers an import kept (`custom.legacy_id`) -> the customer's id: a
    later sheet that names a customer by its old number (KH001) means that customer."""
    found: dict[str, str] = {}
    for customer in book.customers.values():
        custom = (customer.data or {}).get("custom")
        if isinstance(custom, dict) and custom.get("legacy_id") not in (None, ""):
            found.setdefault(str(custom["legacy_id"]).strip(), customer.id)
    return found
