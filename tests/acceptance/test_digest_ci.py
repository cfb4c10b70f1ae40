"""The shipped CI pipelines' weekly digest job: off by default, and when switched on it posts the
digest to the chat webhook. The webhook is a server on 127.0.0.1 that records what it receives."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator

import pytest
import yaml
from test_ci_files import GITLAB, WORKFLOW, bash, clone, environment, git, skipped  # noqa: F401 - shared fixture

WEEKLY = "0 0 * * 1"


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[bytes]]]:
    received: list[bytes] = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"errcode": 0}')

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/send?key=secret", received
    server.shutdown()
    server.server_close()


def test_the_github_job_is_weekly_and_off_until_its_variable_is_set() -> None:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    triggers = workflow.get("on", workflow.get(True))
    assert {"cron": WEEKLY} in triggers["schedule"]
    job = workflow["jobs"]["digest"]
    assert job["if"] == f"github.event.schedule == '{WEEKLY}' && vars.DEALBOOK_DIGEST_WEBHOOK_KIND != ''"
    assert f"github.event.schedule != '{WEEKLY}'" in workflow["jobs"]["site"]["if"]
    [post] = [s for s in job["steps"] if s.get("name") == "Post the weekly digest"]
    assert post["env"]["DEALBOOK_DIGEST_WEBHOOK_URL"] == "${{ secrets.DEALBOOK_DIGEST_WEBHOOK_URL }}"


def test_the_github_job_posts_the_digest(clone, tmp_path, webhook) -> None:  # noqa: F811
    url, received = webhook
    env = environment(tmp_path)
    env.update(DEALBOOK_DIGEST_WEBHOOK_KIND="wecom", DEALBOOK_DIGEST_WEBHOOK_URL=url)
    git(clone, "checkout", "-q", "main")
    steps = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]["digest"]["steps"]
    for step in steps:
        if "run" in step and not skipped(step["run"]):
            done = bash(step["run"], clone, env)
            assert done.returncode == 0, f"{step.get('name')}: {done.stdout}\n{done.stderr}"
    [body] = received
    message = json.loads(body)
    assert message["msgtype"] == "markdown"
    assert message["markdown"]["content"].startswith("**星河智能销售部 · dealbook 演示 · 销售周报 · 全队 · ")


def test_the_gitlab_job_runs_only_on_the_digest_schedule_and_posts(clone, tmp_path, webhook) -> None:  # noqa: F811
    url, received = webhook
    gitlab = yaml.safe_load(GITLAB.read_text(encoding="utf-8"))
    assert gitlab["digest"]["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "schedule" && $DEALBOOK_DIGEST_WEBHOOK_KIND'}]
    assert gitlab["pages"]["rules"][0]["when"] == "never"
    env = environment(tmp_path)
    env.update(DEALBOOK_DIGEST_WEBHOOK_KIND="dingtalk", DEALBOOK_DIGEST_WEBHOOK_URL=url)
    git(clone, "checkout", "-q", "main")
    for line in gitlab["digest"]["script"]:
        if not skipped(line):
            done = bash(line, clone, env)
            assert done.returncode == 0, f"{line}: {done.stdout}\n{done.stderr}"
    [body] = received
    assert json.loads(body)["markdown"]["title"] == "星河智能销售部 · dealbook 演示 · 销售周报"
