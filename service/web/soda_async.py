"""SODA async (``/soda/async``): the UWS 1.1 resource tree of cutout and stack jobs.

Creating a job (POST, any number of ID and region values: one result per ID x region;
a position without ID: a stack) answers 303 to the job; the job, its phase, quote,
execution duration, destruction, parameters, results, error and owner are resources
of their own. Parse, call the job service, render: the orchestration is
:class:`service.jobs.service.JobService`'s.
"""

from __future__ import annotations

import datetime
import hashlib
import math
from collections.abc import Callable

from flask import Blueprint, Response, render_template, request

from service.faults import NotFoundFault, UsageFault
from service.jobs.model import PHASES, Job
from service.jobs.service import JobService
from service.times import instant, iso
from service.vo import soda
from service.vo.values import number, shown
from service.web.context import (
    base_url,
    file_response,
    held_tags,
    not_modified,
    request_params,
    see_other,
    services,
)

blueprint = Blueprint("soda_async", __name__, url_prefix="/soda/async")
XML = "application/xml"
INFO_NS = "https://platecut.example.org/xml/uws-progress"


def _jobs() -> JobService:
    return services().job_service


def _url(job_id: str = "") -> str:
    root = f"{base_url()}/soda/async"
    return f"{root}/{job_id}" if job_id else root


def _text(value: object) -> Response:
    return Response(f"{value}\n", mimetype="text/plain")


def _see(job_id: str = "") -> Response:
    return see_other(_url(job_id))


def _quote(job: Job) -> str:
    """When the job should finish: a guess of 1 s a frame on the cluster's workers."""
    if job.phase not in ("PENDING", "QUEUED", "EXECUTING"):
        return ""
    start = job.started or datetime.datetime.now(datetime.UTC)
    left = max(0, job.total - job.done)
    return iso(start.replace(microsecond=0) + datetime.timedelta(seconds=math.ceil(left)))


def _job_document(job: Job) -> Response:
    body = render_template(
        "uws_job.xml",
        job=job,
        iso=iso,
        quote=_quote(job),
        results=_jobs().result_files(job),
        job_url=_url(job.job_id),
        standalone=False,
        info_ns=INFO_NS,
    )
    return Response(body, mimetype=XML)


@blueprint.route("", methods=["GET", "POST"])
def jobs() -> Response:
    """GET: the job list (PHASE, AFTER, LAST); POST: a new job (303 to it)."""
    params = request_params()
    if request.method == "POST":
        job = _jobs().create(soda.parse_job(params, services().settings))
        return _see(job.job_id)
    phases = tuple(p.strip().upper() for p in params.all("PHASE"))
    for phase in phases:
        if phase not in PHASES:
            raise UsageFault(f"Field PHASE: Invalid value {shown(phase)}")
    after = None
    if params.one("AFTER"):
        try:
            after = instant(params.one("AFTER"))
        except ValueError:
            raise UsageFault(f"Field AFTER: Invalid value {shown(params.one('AFTER'))}") from None
    last = params.one("LAST")
    count = int(number("LAST", last, 0, math.inf, int)) if last else None
    listed = _jobs().list(phases, after, count)  # UWS 1.1: ARCHIVED only when asked for
    body = render_template("uws_jobs.xml", jobs=listed, base=_url(), iso=iso)
    return Response(body, mimetype=XML)


@blueprint.route("/<job_id>", methods=["GET", "POST", "DELETE"])
def job(job_id: str) -> Response:
    """The job (GET, with WAIT and PHASE), or its destruction (DELETE, ACTION=DELETE)."""
    params = request_params()
    if request.method == "DELETE" or (
        request.method == "POST" and (params.one("ACTION") or "").upper() == "DELETE"
    ):
        _jobs().get(job_id)  # 404 for no such job
        _jobs().destroy(job_id)
        return _see()
    if request.method == "POST":
        changed = False
        for name, action in (("PHASE", _jobs().phase), ("DESTRUCTION", _jobs().destruction),
                             ("EXECUTIONDURATION", _jobs().execution_duration)):  # fmt: skip
            if params.one(name):
                action(job_id, params.one(name))
                changed = True
        if not changed:
            raise UsageFault("nothing to change: POST PHASE, DESTRUCTION, EXECUTIONDURATION or "
                             "ACTION=DELETE")  # fmt: skip
        return _see(job_id)
    wait = params.one("WAIT")
    seconds = number("WAIT", wait, -1, math.inf) if wait else None
    phase = (params.one("PHASE") or "").upper() or None
    return _job_document(_jobs().get(job_id, seconds, phase))


def _job_field(
    job_id: str,
    name: str,
    hint: str,
    change: Callable[[str, str], object],
    text_of: Callable[[Job], object],
) -> Response:
    """GET: one field of the job as text; POST: ``name=value`` given to ``change``
    (job id, value), then 303 to the job."""
    if request.method == "POST":
        value = request_params().one(name)
        if not value:
            raise UsageFault(f"Field {name}: missing ({hint})")
        change(job_id, value)
        return _see(job_id)
    return _text(text_of(_jobs().get(job_id)))


@blueprint.route("/<job_id>/phase", methods=["GET", "POST"])
def phase(job_id: str) -> Response:
    return _job_field(job_id, "PHASE", "RUN or ABORT", _jobs().phase, lambda j: j.phase)


@blueprint.route("/<job_id>/executionduration", methods=["GET", "POST"])
def execution_duration(job_id: str) -> Response:
    return _job_field(job_id, "EXECUTIONDURATION", "seconds", _jobs().execution_duration,
                      lambda j: j.execution_duration)  # fmt: skip


@blueprint.route("/<job_id>/destruction", methods=["GET", "POST"])
def destruction(job_id: str) -> Response:
    return _job_field(job_id, "DESTRUCTION", "ISO 8601 time", _jobs().destruction,
                      lambda j: iso(j.destruction))  # fmt: skip


@blueprint.get("/<job_id>/quote")
def quote(job_id: str) -> Response:
    return _text(_quote(_jobs().get(job_id)))


@blueprint.get("/<job_id>/owner")
def owner(job_id: str) -> Response:
    _jobs().get(job_id)
    return _text("")


@blueprint.get("/<job_id>/error")
def error(job_id: str) -> Response:
    job_ = _jobs().get(job_id)
    if not job_.error:
        raise NotFoundFault(f"job {job_id} has no error")
    return _text(job_.error)


@blueprint.get("/<job_id>/parameters")
def parameters(job_id: str) -> Response:
    job_ = _jobs().get(job_id)
    body = render_template("uws_parameters.xml", job=job_, standalone=True)
    return Response(body, mimetype=XML)


@blueprint.get("/<job_id>/results")
def results(job_id: str) -> Response:
    job_ = _jobs().get(job_id)
    body = render_template(
        "uws_results.xml",
        results=_jobs().result_files(job_),
        job_url=_url(job_id),
        standalone=True,
    )
    return Response(body, mimetype=XML)


@blueprint.get("/<job_id>/results/<name>")
def result(job_id: str, name: str) -> Response:
    """A result file with its ETag (304 when the client holds it: a result never
    changes), or 303 to the results bucket."""
    answer = _jobs().result(job_id, name)
    if answer.url:
        return see_other(answer.url)
    assert answer.body is not None
    tag = hashlib.sha256(answer.body).hexdigest()[:40]  # a result never changes
    if tag in held_tags():
        return not_modified(tag, private=True)
    return file_response(answer.body, answer.mime, f"{job_id}-{name}", tag, private=True)


@blueprint.after_request
def _not_stored(response: Response) -> Response:
    """Job documents change with the job: no cache keeps them (results say otherwise)."""
    response.headers.setdefault("Cache-Control", "no-store")
    return response
