"""The Toolforge deployment files: valid for the platform, sized as documented, no file mount.

``jobs.yaml`` and ``service.template`` are checked against JSON Schemas written down from the
Toolforge documentation (``tests/data/toolforge-*.schema.json``; each names its source). The
schemas are shown to reject the mistakes they exist for, so the checks cannot pass vacuously.
``user-config.py.sample`` is loaded by Pywikibot itself, in a subprocess, with the envvars a
Toolforge job would have.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from webtool.app import create_app
from webtool.status import BOT_JOB, next_run

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


def schema(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(data)
    return data


def jobs() -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = yaml.safe_load((ROOT / "jobs.yaml").read_text(encoding="utf-8"))
    return data


def service() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "service.template").read_text(encoding="utf-8"))
    return data


def errors(doc: Any, schema_name: str) -> list[str]:
    validator = jsonschema.Draft202012Validator(schema(schema_name))
    return [e.message for e in validator.iter_errors(doc)]


def test_jobs_yaml_is_valid_for_the_jobs_framework() -> None:
    assert errors(jobs(), "toolforge-jobs.schema.json") == []


def test_service_template_is_valid_for_webservice() -> None:
    assert errors(service(), "toolforge-service-template.schema.json") == []


@pytest.mark.parametrize(
    "change",
    [
        {"filelog": True},  # file logs need the home mount
        {"emails": "sometimes"},
        {"mount": "home"},
        {"timeout": "45m"},
        {"mem": "1 GB"},
        {"continuous": True},  # scheduled and continuous at once
        {"replicas": 2},  # only for continuous jobs
        {"schedule": "every hour"},
        {"name": "SkillMatch_Run"},
        {"memory": "1Gi"},  # unknown key (a typo the framework rejects)
    ],
)
def test_the_jobs_schema_rejects_what_the_framework_rejects(change: dict[str, Any]) -> None:
    bad = copy.deepcopy(jobs())
    bad[0].update(change)
    assert errors(bad, "toolforge-jobs.schema.json")


@pytest.mark.parametrize(
    "change", [{"backend": "gridengine"}, {"mount": "yes"}, {"health-check-path": "healthz"}]
)
def test_the_service_schema_rejects_bad_values(change: dict[str, Any]) -> None:
    bad = {**service(), **change}
    assert errors(bad, "toolforge-service-template.schema.json")


def test_bot_job_is_sized_bounded_hourly_and_mounts_nothing() -> None:
    job = next(j for j in jobs() if j["name"] == BOT_JOB)
    assert job["mount"] == "none" and job["filelog"] is False
    assert job["mem"] == "1Gi" and str(job["cpu"]) == "1"
    # A hung run must end before the next hourly start: scheduled jobs never overlap.
    start = next_run(job["schedule"], datetime(2026, 12, 6, 4, 0, tzinfo=UTC))
    assert start is not None
    following = next_run(job["schedule"], start)
    assert following is not None and following - start == timedelta(hours=1)
    assert 0 < job["timeout"] < 3600
    # The figures the sizing comment quotes are the ones set.
    comment = (ROOT / "jobs.yaml").read_text(encoding="utf-8")
    assert f"timeout {job['timeout']} s" in comment and "peak RSS" in comment


def test_job_command_is_a_procfile_process_that_sets_up_pywikibot() -> None:
    processes = dict(
        line.split(": ", 1)
        for line in (ROOT / "Procfile").read_text(encoding="utf-8").splitlines()
        if line.strip()
    )
    for job in jobs():
        assert job["command"] in processes
    bot = processes["bot"]
    assert "user-config.py.sample" in bot and "python -m bot run" in bot


def test_service_health_check_stays_up_while_the_store_is_down(tmp_path: Path) -> None:
    path = service()["health-check-path"]
    assert service()["mount"] == "none"
    app = create_app(
        {"store_url": f"sqlite:///{tmp_path}/missing/dir/x.db", "create_local_schema": False}
    )
    client = app.test_client()
    assert client.get(path).status_code == 200
    assert client.get("/readyz").status_code == 503


def python_with_the_sample(
    tmp_path: Path, args: list[str], env: dict[str, str]
) -> tuple[Path, str]:
    """`python *args` with a fresh Pywikibot home holding only user-config.py.sample as its
    user-config.py, and no PYWIKIBOT*/SKILLMATCH* variable but `env`'s: as the Procfile's bot
    process starts. Returns the home and what the process printed (it must exit 0)."""
    home = tmp_path / "pwb"
    home.mkdir(mode=0o700)
    (home / "user-config.py").write_text(
        (ROOT / "user-config.py.sample").read_text(encoding="utf-8"), encoding="utf-8"
    )
    full_env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PYWIKIBOT", "SKILLMATCH"))},
        "PYWIKIBOT_DIR": str(home),
        **env,
    }
    done = subprocess.run(
        [sys.executable, *args],
        env=full_env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return home, done.stdout


def test_user_config_reads_everything_from_the_environment(tmp_path: Path) -> None:
    """Pywikibot itself loads the sample (as the Procfile's bot process sets it up)."""
    secret = "s3cr'et\"with quotes"
    env = {
        "SKILLMATCH_BOT_USER": "ExampleBot",
        "SKILLMATCH_BOT_PASSWORD_NAME": "deploy",
        "SKILLMATCH_BOT_PASSWORD": secret,
        "SKILLMATCH_BOT_CONTACT": "User_talk:ExampleOperator",
        "SKILLMATCH_PWB_FAMILY": "wikipedia",
        "SKILLMATCH_PWB_CODE": "ja",
    }
    code = (
        "import json, pywikibot.config as c; print(json.dumps({'family': c.family,"
        " 'code': c.mylang, 'users': {k: dict(v) for k, v in c.usernames.items() if v},"
        " 'password_file': c.password_file, 'ua': c.user_agent_description}))"
    )
    home, out = python_with_the_sample(tmp_path, ["-W", "error::UserWarning", "-c", code], env)
    got = json.loads(out.strip().splitlines()[-1])
    assert got["family"] == "wikipedia" and got["code"] == "ja"
    assert got["users"]["*"] == {"*": "ExampleBot"}
    assert got["users"]["wikipedia"] == {"ja": "ExampleBot"}
    assert "User_talk:ExampleOperator" in got["ua"]
    password_file = Path(got["password_file"])
    assert password_file.parent == home
    assert password_file.stat().st_mode & 0o777 == 0o600
    # The line Pywikibot evaluates: the secret round-trips exactly, quotes and all.
    line = password_file.read_text(encoding="utf-8").strip()
    assert eval(line, {"__builtins__": {}, "BotPassword": lambda n, s: (n, s)}) == (  # noqa: S307
        "ExampleBot",
        ("deploy", secret),
    )
    assert secret not in (ROOT / "user-config.py.sample").read_text(encoding="utf-8")


def test_no_secret_is_written_without_a_password(tmp_path: Path) -> None:
    home, out = python_with_the_sample(
        tmp_path, ["-c", "import pywikibot.config as c; print(c.user_agent_description)"], {}
    )
    assert re.search(r"SkillMatch \(https://", out)
    assert not (home / "user-password.cfg").exists()
