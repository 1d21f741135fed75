"""The suite deletes only its own keys (tests/isolation.py): a key someone else keeps in the same Redis
database, or in another one, survives the cache clearing that runs around every test."""

from __future__ import annotations

import os
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.core.cache import caches
from django.test import override_settings

from tests.ci_services import require_redis
from tests.isolation import RUN_PREFIX, clear_own_keys, use_run_prefix

REDIS_TEST_URL = os.environ.get("REDIS_TEST_URL", "redis://127.0.0.1:6379/15")


def _other_db(url: str) -> str:
    parts = urlsplit(url)
    db = int(parts.path.strip("/") or 0)
    return urlunsplit(parts._replace(path=f"/{0 if db != 0 else 1}"))


def _raw(url: str):
    import redis

    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=2)


def _redis_config(prefix: str) -> dict:
    """The default cache as dashboard/settings.py builds it when REDIS_URL is set."""
    return {"default": {"BACKEND": "dashboard.cache.FallbackRedisCache", "LOCATION": REDIS_TEST_URL,
                        "KEY_PREFIX": prefix, "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 1, "SOCKET_TIMEOUT": 2}}}


def test_this_run_has_a_key_prefix_of_its_own():
    assert caches["default"].key_prefix == RUN_PREFIX
    assert RUN_PREFIX.startswith(f"test-{os.getpid()}-") and len(RUN_PREFIX) > len(f"test-{os.getpid()}-")


@pytest.mark.redis
def test_clearing_keeps_foreign_keys_in_the_same_and_in_another_database():
    require_redis(REDIS_TEST_URL)
    same, other = _raw(REDIS_TEST_URL), _raw(_other_db(REDIS_TEST_URL))
    tag = uuid.uuid4().hex
    # Someone else's data: a plain key, one under Django's default prefix, one that merely starts
    # like our prefix, and the same name in another database.
    foreign = [f"someone-else:{tag}", f":1:{tag}", f"dash:1:{tag}", f"{RUN_PREFIX}0:1:{tag}"]
    try:
        for key in foreign:
            same.set(key, "precious")
        other.set(foreign[0], "precious")
        with override_settings(CACHES=_redis_config("dash")):  # as with REDIS_URL in the environment
            use_run_prefix()
            cache = caches["default"]
            assert cache.key_prefix == RUN_PREFIX
            cache.set(f"mine-{tag}", 1, 60)
            cache.set(f"mine-too-{tag}", 2, 60)
            assert same.exists(f"{RUN_PREFIX}:1:mine-{tag}")
            assert clear_own_keys() == 2
            assert cache.get(f"mine-{tag}") is None and not same.exists(f"{RUN_PREFIX}:1:mine-too-{tag}")
            cache.close()
        assert all(same.get(key) == b"precious" for key in foreign), "a foreign key in our db was deleted"
        assert other.get(foreign[0]) == b"precious", "a key in another database was deleted"
    finally:
        same.delete(*foreign)
        other.delete(foreign[0])
        same.close()
        other.close()


@pytest.mark.redis
def test_a_redis_cache_without_a_prefix_is_never_cleared():
    require_redis(REDIS_TEST_URL)
    same = _raw(REDIS_TEST_URL)
    key = f"someone-else:{uuid.uuid4().hex}"
    try:
        same.set(key, "precious")
        with override_settings(CACHES=_redis_config("")):
            with pytest.raises(RuntimeError, match="FLUSHDB"):
                clear_own_keys()
            caches["default"].close()
        assert same.get(key) == b"precious"
    finally:
        same.delete(key)
        same.close()


def test_clearing_a_redis_that_is_not_there_is_a_no_op():
    from tests.hardening.conftest import cache_config, free_port

    with override_settings(CACHES=cache_config(f"redis://127.0.0.1:{free_port()}/0")):
        assert clear_own_keys() == 0


def test_a_rewritten_tracked_file_is_noticed(tmp_path):
    """What fails a run that rewrote, say, docs/screenshot-desktop.png (tests/conftest.py's session hooks)."""
    import subprocess

    from tests.isolation import changed_files, tracked_snapshot

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "screenshot-desktop.png").write_bytes(b"\x89PNG old")
    (tmp_path / "README.md").write_text("readme\n")
    git("add", "docs", "README.md")
    before = tracked_snapshot(tmp_path)
    assert set(before) == {"docs/screenshot-desktop.png", "README.md"}
    (tmp_path / "artifacts").mkdir()
    (tmp_path / "artifacts" / "screenshot-desktop.png").write_bytes(b"\x89PNG new")  # untracked: fine
    assert changed_files(before, tracked_snapshot(tmp_path)) == []
    (tmp_path / "docs" / "screenshot-desktop.png").write_bytes(b"\x89PNG new")
    assert changed_files(before, tracked_snapshot(tmp_path)) == ["docs/screenshot-desktop.png"]
    assert tracked_snapshot(tmp_path / "not-a-repo") is None
