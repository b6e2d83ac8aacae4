"""Answers a cache can keep, over real HTTP against gunicorn (2 workers, so a repeat
may reach the other one): cutouts, archive files and stack results carry a strong ETag
and Cache-Control, a request naming the ETag (If-None-Match, strong, weak or *) is a
304 with no body and no body type, other parameters another tag; job documents are
never stored."""

from __future__ import annotations

import requests

from tests.web.test_soda_async import STACK, create, until_final

CUTOUT = {"ID": "a03393m0s1", "CIRCLE": "0.2 12 0.03"}


def conditional(url: str, tag: str, **params: str) -> requests.Response:
    return requests.get(url, params=params, headers={"If-None-Match": tag}, timeout=120)


def assert_not_modified(answer: requests.Response, tag: str, cache: str) -> None:
    assert answer.status_code == 304, answer.text[:300]
    assert answer.content == b"" and "Content-Type" not in answer.headers
    assert answer.headers["ETag"] == tag and answer.headers["Cache-Control"] == cache


def test_a_cutout_is_cacheable_and_a_repeat_is_304(served):
    url = f"{served}/soda/sync"
    made = requests.get(url, params=CUTOUT, timeout=120)
    assert made.status_code == 200
    tag = made.headers["ETag"]
    assert tag.startswith('"') and tag.endswith('"') and len(tag) == 42  # strong
    assert made.headers["Cache-Control"] == "public, max-age=86400"
    for held in (tag, f"W/{tag}", f'"other", {tag}', "*"):
        for _ in range(2):  # both workers
            assert_not_modified(conditional(url, held, **CUTOUT), tag, "public, max-age=86400")
    again = requests.get(url, params=CUTOUT, timeout=120)  # unconditional: same bytes, tag
    assert again.content == made.content and again.headers["ETag"] == tag
    for other in ({"SCALE": "2"}, {"RESPONSEFORMAT": "image/png"}, {"ID": "a03393m0s0"}):
        answer = conditional(url, tag, **(CUTOUT | other))
        assert answer.status_code == 200 and answer.headers["ETag"] not in ("", tag)
    stale = conditional(url, '"0123456789"', **CUTOUT)
    assert stale.status_code == 200 and stale.content == made.content


def test_archive_files_are_cacheable(served):
    links = requests.get(f"{served}/datalink/links", params={"ID": "a03393m0s1"}, timeout=60)
    header_url = next(
        u for u in links.text.split("<TD>") if "/files/headers/" in u
    ).split("<")[0].replace("&amp;", "&")  # fmt: skip
    got = requests.get(header_url, timeout=60)
    assert got.status_code == 200 and got.headers["Cache-Control"] == "public, max-age=86400"
    assert_not_modified(
        conditional(header_url, got.headers["ETag"]), got.headers["ETag"], "public, max-age=86400"
    )


def test_stack_results_are_private_and_job_documents_never_stored(served):
    job = create(served, **STACK, PHASE="RUN")
    assert until_final(job).phase == "COMPLETED"
    document = requests.get(job, timeout=60)
    assert document.headers["Cache-Control"] == "no-store"
    assert requests.get(f"{job}/results", timeout=60).headers["Cache-Control"] == "no-store"
    result = requests.get(f"{job}/results/stack.fits", timeout=120)
    assert result.status_code == 200
    tag, cache = result.headers["ETag"], "private, max-age=86400"
    assert result.headers["Cache-Control"] == cache
    assert_not_modified(conditional(f"{job}/results/stack.fits", tag), tag, cache)
