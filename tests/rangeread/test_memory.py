"""What a process remembers of object versions: capacity, freshness, versions seen in
place of others."""

from __future__ import annotations

import time

from service.rangeread.memory import Known, VersionMemory
from service.storage.base import ObjectInfo


def known(key: str, etag: str, age_s: float = 0.0) -> Known:
    return Known(ObjectInfo(key, 10, etag), None, time.monotonic() - age_s)  # type: ignore[arg-type]


def test_the_least_recently_used_is_dropped_first():
    memory = VersionMemory(capacity=2, ttl_s=60)
    memory.remember("a", known("a", "1"))
    memory.remember("b", known("b", "1"))
    assert memory.recall("a", "1") is not None
    memory.remember("a", known("a", "1"))  # used again: b is now the oldest
    memory.remember("c", known("c", "1"))
    assert memory.recall("b", "1") is None
    assert memory.recall("a", "1") is not None and memory.recall("c", "1") is not None
    memory.forget("a")
    assert memory.recall("a", "1") is None


def test_a_named_version_is_known_whatever_its_age_a_recent_one_only_while_fresh():
    memory = VersionMemory(capacity=4, ttl_s=5)
    memory.remember("a", known("a", "1", age_s=10))
    assert memory.recall("a", "1") is not None  # the caller names it
    assert memory.recall("a", None) is None  # too old to stand for the current one
    assert memory.recall("a", "2") is None
    memory.remember("a", known("a", "2"))
    assert memory.recall("a", None).info.etag == "2"


def test_versions_seen_in_place_of_others():
    memory = VersionMemory(capacity=4, ttl_s=5)
    assert memory.newer("a", "1") is None
    memory.supersede("a", "1", ObjectInfo("a", 12, "2"))
    assert memory.newer("a", "1").etag == "2" and memory.newer("b", "1") is None
    memory.supersede("a", "1", None)
    assert memory.newer("a", "1") is None
