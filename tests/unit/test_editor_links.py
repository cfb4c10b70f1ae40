"""Logging from the site: the web-editor links of each host kind decoded, the draft checked for real."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from conftest import RecordRepo
from dealbook.checks.reading import open_book
from dealbook.records.siteconfig import site_config
from dealbook.site.editor_links import (
    AT_TOKEN,
    DUE_TOKEN,
    MAX_URL,
    STAMP_TOKEN,
    edit_file_url,
    followup_draft,
    log_actions,
    new_file_url,
    next_stage,
    shell_words,
)

NOW = dt.datetime(2024, 5, 20, 14, 30)
CID = "粤IT2024001"
TEXT = "# yaml-language-server: $schema=x\ncustomer: 粤IT2024001\nsummary: a&b=c #d ?e\n"
PATH = f"records/followups/{CID}/2024-05-20-1430.yaml"


def config(kind: str | None, repo: str = "https://git.example.com/sales/book", branch: str = "main"):
    return site_config(None, repo, {"repo_kind": kind, "branch": branch})


@pytest.mark.parametrize(("kind", "path", "name", "content"), [
    ("github", "/sales/book/new/main", "filename", "value"),
    ("gitlab", "/sales/book/-/new/main", "file_name", "content"),
    ("gitea", "/sales/book/_new/main/", "filename", "value"),
    ("forgejo", "/sales/book/_new/main/", "filename", "value"),
])
def test_new_file_links_of_each_host_decode_to_the_path_and_text(kind: str, path: str, name: str,
                                                                 content: str) -> None:
    url = new_file_url(config(kind), PATH, TEXT, "followup/x", "跟进")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "git.example.com", path)
    query = parse_qs(parts.query, strict_parsing=True)
    assert query[name] == [PATH] and query[content] == [TEXT]
    if kind == "gitlab":
        assert query["branch_name"] == ["followup/x"] and query["commit_message"] == ["跟进"]


@pytest.mark.parametrize(("kind", "prefix"), [("github", "edit"), ("gitlab", "-/edit"), ("gitea", "_edit"),
                                              ("forgejo", "_edit")])
def test_edit_links_keep_the_slashes_of_the_branch_and_encode_each_segment(kind: str, prefix: str) -> None:
    """A branch like `team/main` is written with its slashes, as the hosts resolve it (`team%2Fmain`
    names no branch); each segment of it and of the path is percent-encoded, a Chinese id included."""
    url = edit_file_url(config(kind, branch="team/发布 2026"), f"records/customers/{CID}.yaml")
    assert url == (f"https://git.example.com/sales/book/{prefix}/team/%E5%8F%91%E5%B8%83%202026/"
                   "records/customers/%E7%B2%A4IT2024001.yaml")
    assert unquote(urlsplit(url).path) == f"/sales/book/{prefix}/team/发布 2026/records/customers/{CID}.yaml"


@pytest.mark.parametrize(("kind", "path", "name"), [
    ("github", "/sales/book/new/release/2026", "filename"),
    ("gitlab", "/sales/book/-/new/release/2026", "file_name"),
    ("gitea", "/sales/book/_new/release/2026/", "filename"),
    ("forgejo", "/sales/book/_new/release/2026/", "filename"),
])
def test_new_file_links_keep_the_slashes_of_the_branch(kind: str, path: str, name: str) -> None:
    chinese = "records/followups/粤IT2024001 #?/2024-05-20-1430.yaml"  # a Chinese id, and `#`, `?`, a space
    url = new_file_url(config(kind, branch="release/2026"), chinese, TEXT)
    parts = urlsplit(url)
    assert parts.path == path and "%2F" not in parts.path
    assert "%E7%B2%A4IT2024001%20%23%3F%2F2024" in parts.query  # the path in the query: `/` encoded there too
    assert parse_qs(parts.query, strict_parsing=True)[name] == [chinese]


def test_a_branch_segment_is_percent_encoded_and_its_slashes_kept() -> None:
    url = edit_file_url(config("github", branch="feature/a#b?c%d"), "records/a b/c.yaml")
    assert urlsplit(url).path == "/sales/book/edit/feature/a%23b%3Fc%25d/records/a%20b/c.yaml"


def test_no_links_without_a_repo_or_a_known_host() -> None:
    assert new_file_url(config(None), PATH, TEXT) is None  # git.example.com: kind unknown
    assert new_file_url(site_config(None, None, {"repo_kind": "github"}), PATH, TEXT) is None
    assert new_file_url(config(None, repo="https://github.com/acme/book"), PATH, TEXT).startswith(
        "https://github.com/acme/book/new/main?filename=")


def test_the_draft_passes_the_check_once_by_is_filled(repo: RecordRepo, run) -> None:
    repo.customer(CID, contacts=[{"name": "王总监", "title": "技术总监", "role": "decision_maker"},
                                 {"name": "李经理\n(采购)", "title": "采购", "role": "influencer"}])
    book = open_book(str(repo.root))
    customer = book.customers[CID]
    path, text = followup_draft(customer, {"zhang": "张伟", "li": "李娜"}, NOW)
    assert path == PATH
    lines = text.splitlines()
    assert lines[0] == "# yaml-language-server: $schema=../../../schemas/followup.schema.json"
    assert "customer: 粤IT2024001" in lines and "at: 2024-05-20 14:30" in lines and "contact: 王总监" in lines
    assert "by:  # ← 填写你的成员代号:zhang(张伟)、li(李娜)" in lines
    assert "# 其他联系人:李经理 (采购)" in lines  # a line break in a name cannot end the comment
    repo.write(path, text)
    failed = run(repo, "check", str(repo.root / path))
    by_line = next(n for n, line in enumerate(lines, 1) if line.startswith("by:"))
    assert failed.exit_code == 1 and f"{path}:{by_line}:1: error" in failed.output
    repo.write(path, text.replace("by:  #", "by: zhang  #"))
    passed = run(repo, "check", str(repo.root / path))
    assert passed.exit_code == 0, passed.output


def test_log_actions_of_a_customer(repo: RecordRepo) -> None:
    repo.customer(CID)
    book = open_book(str(repo.root))
    customer = book.customers[CID]
    actions = log_actions(customer, book.settings, {"zhang": "张伟"}, config("gitea"), NOW)
    query = parse_qs(urlsplit(actions.new_followup).query)
    assert query["filename"] == [PATH] and "at: 2024-05-20 14:30\n" in query["value"][0]
    live = parse_qs(urlsplit(actions.live_followup).query)
    assert live["filename"] == [f"records/followups/{CID}/{STAMP_TOKEN}.yaml"]
    assert f"at: {AT_TOKEN}\n" in live["value"][0]
    assert actions.next_stage == "discovery" and actions.next_label == "需求挖掘"
    assert actions.advance == "https://git.example.com/sales/book/_edit/main/records/customers/%E7%B2%A4IT2024001.yaml"
    assert actions.log_command == "dealbook log 粤IT2024001 -m phone -c 王总监 -s 沟通内容"
    assert actions.move_command == "dealbook move 粤IT2024001 discovery"
    assert actions.timezone == "Asia/Shanghai"
    assert shell_words(["dealbook", "log", "x", "-s", "a b; rm -rf ~"]) == "dealbook log x -s 'a b; rm -rf ~'"


def test_a_contact_ending_in_a_line_break_is_quoted_in_the_command_to_copy(repo: RecordRepo) -> None:
    """A name ending in a newline matched `^…$` and went out bare: pasted, the line ran on its own."""
    repo.customer(CID, contacts=[{"name": "王总监\n", "title": "总监", "role": "decision_maker",
                                  "phone": "0755-8888-1234", "phone_kind": "work"}])
    customer = open_book(str(repo.root)).customers[CID]
    actions = log_actions(customer, open_book(str(repo.root)).settings, {}, config("gitea"), NOW)
    assert actions.log_command == "dealbook log 粤IT2024001 -m phone -c '王总监\n' -s 沟通内容"


def test_next_stage_follows_the_progression(repo: RecordRepo) -> None:
    repo.customer(CID)
    book = open_book(str(repo.root))
    settings = book.settings
    c = book.customers[CID]
    assert next_stage(c, settings) == "discovery"
    from dataclasses import replace

    assert next_stage(replace(c, stage="negotiation"), settings) == "won"
    assert next_stage(replace(c, stage="after_sales"), settings) is None
    assert next_stage(replace(c, stage="lost"), settings) is None


def test_no_new_file_link_for_an_id_that_is_not_a_file_name(repo: RecordRepo) -> None:
    from conftest import customer_data, dump

    repo.write("records/customers/x.yaml", dump(customer_data("../../.github/workflows/x")))
    book = open_book(str(repo.root))
    customer = book.customers["../../.github/workflows/x"]
    actions = log_actions(customer, book.settings, {"zhang": "张伟"}, config("gitea"), NOW)
    assert actions.new_followup is None and actions.live_followup is None  # never a path outside records/


def long_customer(repo: RecordRepo) -> None:
    """A customer whose draft makes a link longer than any server should be sent: a long name,
    sixty contacts, each character of them nine once percent-encoded."""
    contacts = [{"name": f"联系人{n:02d}号采购部经理", "title": "经理", "role": "decision_maker" if n == 0 else "user"}
                for n in range(60)]
    repo.customer(CID, name="深圳" + "华辰精密电子" * 40 + "有限公司", contacts=contacts)


@pytest.mark.parametrize(("kind", "name", "content"), [("github", "filename", "value"),
                                                       ("gitlab", "file_name", "content"),
                                                       ("forgejo", "filename", "value")])
def test_a_draft_too_long_for_a_link_leaves_the_text_out_and_keeps_the_file_name(
        repo: RecordRepo, run, kind: str, name: str, content: str) -> None:
    long_customer(repo)
    book = open_book(str(repo.root))
    actions = log_actions(book.customers[CID], book.settings, {"zhang": "张伟"}, config(kind), NOW, str(repo.root))
    full = new_file_url(config(kind), actions.draft.path, actions.draft.text)
    assert len(full) > 8192  # what the link was before: refused by an 8 KB request line
    assert not actions.prefilled
    for url in (actions.new_followup, actions.live_followup):
        assert len(url) <= MAX_URL
        query = parse_qs(urlsplit(url).query)
        assert content not in query and name in query
    assert parse_qs(urlsplit(actions.new_followup).query)[name] == [PATH] == [actions.draft.path]
    # the text the page offers to copy instead is the whole draft, and checks once `by` is filled
    repo.write(actions.draft.path, actions.draft.text.replace("\nby:  #", "\nby: zhang  #"))
    done = run(repo, "check", str(repo.root / actions.draft.path))
    assert done.exit_code == 0, done.output


def test_a_short_draft_is_sent_whole_and_its_live_twin_has_every_token(repo: RecordRepo) -> None:
    repo.customer(CID)
    book = open_book(str(repo.root))
    actions = log_actions(book.customers[CID], book.settings, {"zhang": "张伟"}, config("gitlab"), NOW, str(repo.root))
    assert actions.prefilled and len(actions.new_followup) <= MAX_URL
    assert parse_qs(urlsplit(actions.new_followup).query)["content"] == [actions.draft.text]
    draft = actions.draft
    assert draft.built_at == "2024-05-20 14:30" and "#     due: 2024-05-23\n" in draft.text
    assert draft.live_path == f"records/followups/{CID}/{STAMP_TOKEN}.yaml"
    assert draft.live_text == draft.text.replace("at: 2024-05-20 14:30", f"at: {AT_TOKEN}").replace(
        "due: 2024-05-23", f"due: {DUE_TOKEN}")
    live = parse_qs(urlsplit(actions.live_followup).query)
    assert live["content"] == [draft.live_text] and live["branch_name"] == [f"followup/{STAMP_TOKEN}"]


def test_the_draft_takes_the_next_free_name_of_its_minute_as_dealbook_log_would(repo: RecordRepo, run) -> None:
    repo.customer(CID)
    taken = f"records/followups/{CID}/2024-05-20-1430.yaml"
    repo.write(taken, f"customer: {CID}\nat: 2024-05-20 14:30\nmethod: phone\nby: zhang\nsummary: 已有\n")
    book = open_book(str(repo.root))
    actions = log_actions(book.customers[CID], book.settings, {"zhang": "张伟"}, config("github"), NOW, str(repo.root))
    assert actions.draft.path == f"records/followups/{CID}/2024-05-20-1430-2.yaml"
    assert actions.draft.taken == ("2024-05-20-1430.yaml",)  # what the page script avoids at the reader's time
    query = parse_qs(urlsplit(actions.new_followup).query)
    assert query["filename"] == [actions.draft.path]
    logged = run(repo, "log", CID, "-s", "再次沟通", "--by", "zhang", "--at", "2024-05-20 14:30", "--dry-run")
    assert logged.exit_code == 0 and actions.draft.path in logged.output  # the same name
    repo.write(actions.draft.path, actions.draft.text.replace("\nby:  #", "\nby: zhang  #"))
    done = run(repo, "check")
    assert done.exit_code == 0, done.output


def test_a_pinned_day_dates_the_draft_on_it_at_the_time_of_day_of_now(repo: RecordRepo) -> None:
    """A site whose today is pinned (as_of …) is a snapshot of that day: the draft, its name and its
    hinted due date are on that day, at now's time of day; the page script gets the day."""
    repo.customer(CID)
    book = open_book(str(repo.root))
    later = dt.datetime(2026, 3, 7, 9, 5)
    pinned = log_actions(book.customers[CID], book.settings, {"zhang": "张伟"}, config("github"), later,
                         str(repo.root), dt.date(2024, 5, 20))
    assert pinned.day == "2024-05-20" and pinned.draft.built_at == "2024-05-20 09:05"
    assert pinned.draft.path == f"records/followups/{CID}/2024-05-20-0905.yaml"
    assert "\nat: 2024-05-20 09:05\n" in pinned.draft.text and "#     due: 2024-05-23\n" in pinned.draft.text
    assert parse_qs(urlsplit(pinned.new_followup).query)["filename"] == [pinned.draft.path]
    free = log_actions(book.customers[CID], book.settings, {"zhang": "张伟"}, config("github"), later, str(repo.root))
    assert free.day is None and free.draft.path == f"records/followups/{CID}/2026-03-07-0905.yaml"
