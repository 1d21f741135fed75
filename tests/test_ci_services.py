"""Under CI=true a missing service fails the test that needs it; on a developer's machine it is skipped
with the reason (tests/ci_services.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests import ci_services

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("value", ["true", "1", "TRUE"])
def test_missing_fails_under_ci(monkeypatch, value):
    monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.fail.Exception, match="CI=true and Redis is not available: no answer"):
        ci_services.missing("Redis", "no answer at redis://127.0.0.1:1/0")


@pytest.mark.parametrize("value", [None, "", "false", "0"])
def test_missing_skips_on_a_developer_machine(monkeypatch, value):
    if value is None:
        monkeypatch.delenv("CI", raising=False)
    else:
        monkeypatch.setenv("CI", value)
    with pytest.raises(pytest.skip.Exception, match="make services provides it"):
        ci_services.missing("Chromium", "/usr/bin/chromium is not installed")


def test_a_redis_that_is_not_there_fails_under_ci(monkeypatch):
    from tests.hardening.conftest import free_port

    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="Celery broker"):
        ci_services.require_redis(f"redis://127.0.0.1:{free_port()}/0", service="Celery broker")


SAMPLE = '''
import pytest
from tests.ci_services import missing

@pytest.mark.redis
def test_marked_and_skipped():
    pytest.skip("Redis is not reachable")

@pytest.mark.browser
def test_marked_helper():
    missing("Chromium", "not installed")

def test_unmarked_and_skipped():
    pytest.skip("nothing to do with a service")

@pytest.mark.celery
def test_marked_and_run():
    pass
'''


def _run_sample(tmp_path: Path, ci: str | None) -> str:
    (tmp_path / "test_sample.py").write_text(SAMPLE)
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env["PYTHONPATH"] = str(ROOT)
    if ci is not None:
        env["CI"] = ci
    command = [sys.executable, "-m", "pytest", "-q", "-p", "tests.ci_services", "-p", "no:django",
               "-p", "no:cacheprovider", "-W", "ignore::pytest.PytestUnknownMarkWarning", "test_sample.py"]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    return result.stdout.strip().splitlines()[-1]


def test_a_skipped_service_test_fails_the_run_under_ci(tmp_path):
    assert _run_sample(tmp_path, "true").startswith("2 failed, 1 passed, 1 skipped")


def test_the_same_tests_skip_without_ci(tmp_path):
    assert _run_sample(tmp_path, None).startswith("1 passed, 3 skipped")
