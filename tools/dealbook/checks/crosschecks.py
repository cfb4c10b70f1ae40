"""Checks across records: references to customers and team members, unique ids."""

from __future__ import annotations

from collections.abc import Iterator

from ..records.book import Book
from ..records.diagnostics import ERROR, WARNING, Diagnostic
from ..records.model import TEAM_FILE, Customer, FollowUp
from ..text.catalog import NP_, Translator, translator
from .dealchecks import deal_cross_findings


def cross_diagnostics(book: Book, only: set[str] | None = None) -> list[Diagnostic]:
    """Diagnostics that need more than one file; `only` limits them to those paths."""
    found = []
    for path, where, severity, code, message in _findings(book, only):
        if only is None or path in only:
            line, column = book.mark(path, where)
            found.append(Diagnostic(path, line, column, severity, code, message))
    if only is not None and book.repo_customers is not None:
        for path, message in _ids_in_repo(book, only):
            line, column = book.mark(path, ("id",))
            found.append(Diagnostic(path, line, column, ERROR, "duplicate-id", message))
    if book.customers_by_path:
        from .dedupe import likely_duplicates  # loaded only when customers are checked

        for path, message in likely_duplicates(book, only):
            line, column = book.mark(path, ("name",))
            found.append(Diagnostic(path, line, column, WARNING, "likely-duplicate", message))
    if only is None:
        from .ownership import stale_codeowners

        found.extend(stale_codeowners(book))
    return found


def record_diagnostics(book: Book, only: set[str] | None = None) -> list[Diagnostic]:
    """The cross-record findings that need only the records at hand (owners, support and follow-up
    authors against the team, follow-ups against their customer and its contacts, ids within the
    Book): `cross_diagnostics` without the repo-wide likely-duplicate and CODEOWNERS checks."""
    found = []
    for path, where, severity, code, message in _findings(book, only):
        if only is None or path in only:
            line, column = book.mark(path, where)
            found.append(Diagnostic(path, line, column, severity, code, message))
    return found


# Who a handle is in a record, as the member messages name them.
_ROLE = "member in a record"
_OWNER, _SUPPORT, _REVIEWER, _BY, _NEXT_OWNER = (
    NP_("member in a record", "owner"), NP_("member in a record", "support"),
    NP_("member in a record", "reviewer"), NP_("member in a record", "by"),
    NP_("member in a record", "next action owner"))


def _member_problem(book: Book, handle: str, what: str, _: Translator) -> tuple[str, str, str] | None:
    if not handle:
        return None
    member = book.members.get(handle)
    if member is None:
        known = _.pgettext("enumeration", ", ").join(sorted(book.members)) or _("none yet")
        return (ERROR, "unknown-member",
                _("%(what)s `%(handle)s` is not a member of the team; add them to %(team)s or use one of: %(known)s",
                  what=_.pgettext(_ROLE, what), handle=handle, team=TEAM_FILE, known=known))
    if not member.active:
        return (WARNING, "inactive-member",
                _("%(what)s `%(handle)s` has left the team (active: false): reassign with `dealbook set`",
                  what=_.pgettext(_ROLE, what), handle=handle))
    return None


def _findings(book: Book, only: set[str] | None = None) -> Iterator[tuple[str, tuple, str, str, str]]:
    _ = translator(book.settings.language)
    if book.team_path is None and (book.customers or book.paths):
        why = (_("%(team)s cannot be read (its own error says why), so no owner or follow-up author is checked",
                 team=TEAM_FILE)
               if TEAM_FILE in book.file_diagnostics else
               _("%(team)s is missing: list the team's members there (handle, name, role)", team=TEAM_FILE))
        yield ((book.paths[0] if book.paths else TEAM_FILE), (), ERROR, "no-team", why)
        check_members = False
    else:
        check_members = True

    by_id: dict[str, list[str]] = {}
    by_path = book.customers_by_path if book.repo_customers is None else {}  # else: `_ids_in_repo`
    for path, customer in book.customers_by_path.items():
        if check_members:
            problem = _member_problem(book, customer.owner, _OWNER, _)
            if problem:
                yield (path, ("owner",), *problem)
            for index, handle in enumerate(customer.support):
                problem = _member_problem(book, handle, _SUPPORT, _)
                if problem:
                    yield (path, ("support", index), *problem)
            review = customer.review
            if review is not None and review.by:
                problem = _member_problem(book, review.by, _REVIEWER, _)
                if problem:
                    yield (path, ("review", "by"), *problem)
        if path in by_path:
            by_id.setdefault(customer.id.casefold(), []).append(path)
    for paths in by_id.values():
        for path in paths[1:]:
            yield (path, ("id",), ERROR, "duplicate-id",
                   duplicate_id_message(_, book.customers_by_path[path].id, paths[0]))

    hygiene = book.settings.raw.get("hygiene") or {}
    most = hygiene.get("max_contacts_per_day", 2) if isinstance(hygiene, dict) else 2
    for customer_id in book.followup_customers:
        customer = book.customers.get(customer_id)
        followups = book.followups_of(customer_id)
        if customer is not None:
            yield from _hygiene(customer, followups, most, _)
        for followup in followups:
            if customer is None and followup.customer:
                path = f"records/customers/{followup.customer}.yaml"
                yield (followup.path, ("customer",), ERROR, "unknown-customer",
                       _("customer `%(id)s` cannot be read: %(path)s has an error of its own",
                         id=followup.customer, path=path)
                       if book.read_error(path) else
                       _("customer `%(id)s` does not exist: there is no %(path)s", id=followup.customer, path=path))
            if check_members:
                problem = _member_problem(book, followup.by, _BY, _)
                if problem:
                    yield (followup.path, ("by",), *problem)
                for index, action in enumerate(followup.next):
                    problem = _member_problem(book, action.owner, _NEXT_OWNER, _)
                    if problem:
                        yield (followup.path, ("next", index, "owner"), *problem)
            if customer is not None and followup.contact and customer.contact(followup.contact) is None:
                names = _.pgettext("enumeration", ", ").join(c.name for c in customer.contacts) or _("none")
                yield (followup.path, ("contact",), WARNING, "unknown-contact",
                       _("`%(contact)s` is not one of %(id)s's contacts (%(names)s): add them to the customer's "
                         "contacts or fix the name", contact=followup.contact, id=customer.id, names=names))
    yield from deal_cross_findings(book, only)


def duplicate_id_message(_: Translator, ident: str, first: str) -> str:
    """The `duplicate-id` message of a customer whose id `ident` the file `first` (first in path
    order) already uses, in the translator's language: the one wording of that finding, for a
    check of the whole repo, of some files, and a review of a revision (`git.review`)."""
    return _("id `%(id)s` is already used by %(path)s: give this customer a new id", id=ident, path=first)


def _ids_in_repo(book: Book, only: set[str]) -> Iterator[tuple[str, str]]:
    """`duplicate-id` for the checked customers of a PATH-limited Book, against every customer file
    of the repo (the stored index): as in a whole-repo check, the file first in path order keeps
    the id and each later one is reported."""
    wanted = {c.id.casefold() for path, c in book.customers_by_path.items() if path in only}
    if not wanted:
        return
    _ = translator(book.settings.language)
    ids = {path: c.id for path, c in book.customers_by_path.items()}
    for path, cid in book.repo_customers.holding_ids(wanted):
        ids.setdefault(path, cid)
    first: dict[str, str] = {}  # the first path in path order holding each checked id
    for path, cid in ids.items():
        key = cid.casefold()
        if key in wanted and (key not in first or path < first[key]):
            first[key] = path
    for path, customer in book.customers_by_path.items():
        if path not in only:
            continue
        owner = first[customer.id.casefold()]
        if owner != path:
            yield (path, duplicate_id_message(_, customer.id, owner))


def _hygiene(customer: Customer, followups: list[FollowUp], most: object,
             _: Translator) -> Iterator[tuple[str, tuple, str, str, str]]:
    """Too many contacts of one customer on one day; a follow-up with a contact after they left."""
    per_day: dict[object, int] = {}
    left = {c.name: c.left for c in customer.contacts if c.left is not None}
    for followup in followups:
        if followup.at is None:
            continue
        day = followup.at.date()
        per_day[day] = count = per_day.get(day, 0) + 1
        if isinstance(most, int) and not isinstance(most, bool) and 0 < most < count:
            yield (followup.path, ("at",), WARNING, "too-many-contacts",
                   _("contact number %(count)s with %(id)s on %(day)s, more than %(most)s in a day "
                     "(hygiene.max_contacts_per_day): space the contacts out, or merge them into one follow-up",
                     count=count, id=customer.id, day=day, most=most))
        name = followup.contact.strip()
        gone = left.get(name)
        if gone is not None and day > gone:
            yield (followup.path, ("contact",), WARNING, "contact-left",
                   _("`%(name)s` left %(id)s on %(left)s (contacts[].left): talk to their successor and add them "
                     "to the contacts, or correct the date", name=name, id=customer.id, left=gone))
