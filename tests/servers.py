"""Real servers on 127.0.0.1 for tests: moto (S3/DynamoDB), a Range-honouring HTTP
file server, and a fault-injecting proxy in front of moto."""

from __future__ import annotations

import collections
import contextlib
import hashlib
import http.client
import http.server
import os
import random
import re
import socket
import subprocess
import sys
import threading
import time
from email.utils import formatdate
from pathlib import Path

import requests


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_answering(proc: subprocess.Popen, url: str, what: str) -> None:
    """Return once ``url`` answers; fail if ``proc`` exits or a minute passes."""
    deadline = time.monotonic() + 60
    while True:
        try:
            requests.get(url, timeout=2)
            return
        except (requests.ConnectionError, requests.Timeout):  # not up, or slow to start
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"{what} did not start") from None
            time.sleep(0.2)


#: moto's server, answering one request at a time: its DynamoDB checks a condition and
#: writes without a lock, so on its threaded server two conditional writes naming the
#: same version can both succeed (AWS evaluates them atomically)
_SERIAL_MOTO = (
    "import sys, moto.server as s; run = s.run_simple; "
    "s.run_simple = lambda *a, **k: run(*a, **{**k, 'threaded': False}); s.main(sys.argv[1:])"
)


class MotoServer:
    """moto in server mode, as a separate process, on 127.0.0.1 (``serial``: one request
    at a time, for tests of conditional writes racing each other)."""

    def __init__(self, serial: bool = False) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        launch = ["-c", _SERIAL_MOTO] if serial else ["-m", "moto.server"]
        self.proc = subprocess.Popen(
            [sys.executable, *launch, "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until_answering(self.proc, f"{self.url}/moto-api/", "moto server")

    def stop(self) -> None:
        """Stop the server process."""
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


class _Threaded(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        """A client that hung up (its read timeout, a fault it was meant to meet) is
        the test's business, not a traceback on stderr."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class RangeFileServer:
    """Serves a directory over HTTP like an object store: Range, ETag, If-Match, HEAD.

    With ``bucket``, objects are at ``/<bucket>/<key>`` and errors are S3's XML, so S3
    clients (boto3, s3fs) can use it as an endpoint; ``latency_s`` is added before
    every answer (a distant store); ``log`` keeps (arrival time, method, path, Range
    header, status, bytes sent) of every request.
    """

    def __init__(self, root: Path, latency_s: float = 0.0, bucket: str = "") -> None:
        root = Path(root)
        counts: collections.Counter[str] = collections.Counter()
        self.counts = counts
        self.latency_s = latency_s
        self.log: list[tuple[float, str, str, str, int, int]] = []
        etags: dict[tuple[str, int, int], str] = {}
        server = self
        prefix = f"/{bucket}/" if bucket else "/"

        def etag_of(path: Path) -> str:
            st = path.stat()
            key = (str(path), st.st_mtime_ns, st.st_size)
            if key not in etags:
                digest = hashlib.md5()
                with open(path, "rb") as f:
                    for block in iter(lambda: f.read(1 << 24), b""):
                        digest.update(block)
                etags[key] = digest.hexdigest()
            return '"' + etags[key] + '"'

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _error(self, status: int, code: str) -> None:
                body = f"<Error><Code>{code}</Code><Message>{code}</Message></Error>".encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/xml")
                self.send_header("Content-Length", str(len(body) if self.command != "HEAD" else 0))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _serve(self, body: bool) -> None:
                arrived = time.monotonic()
                counts[self.command] += 1
                url_path = self.path.split("?", 1)[0]
                key = url_path[len(prefix) :] if url_path.startswith(prefix) else None
                path = root / key if key else None
                rng = self.headers.get("Range", "")
                status, sent = 200, 0
                try:
                    if path is None or not path.is_file():
                        status = 404
                    else:
                        etag = etag_of(path)
                        if self.headers.get("If-Match") not in (None, etag):
                            status = 412
                    if server.latency_s:
                        time.sleep(server.latency_s)
                    if status == 404:
                        self._error(404, "NoSuchKey")
                        return
                    if status == 412:
                        self._error(412, "PreconditionFailed")
                        return
                    size = path.stat().st_size
                    start, stop = 0, size
                    match = re.match(r"bytes=(\d+)-(\d*)", rng)
                    if match:
                        start = int(match[1])
                        stop = min(size, int(match[2]) + 1 if match[2] else size)
                        if start >= size:
                            status = 416
                            self._error(416, "InvalidRange")
                            return
                        status = 206
                    self.send_response(status)
                    if status == 206:
                        self.send_header("Content-Range", f"bytes {start}-{stop - 1}/{size}")
                    self.send_header("Content-Length", str(stop - start))
                    self.send_header("Content-Type", "application/octet-stream")
                    self.send_header("Accept-Ranges", "bytes")
                    self.send_header("ETag", etag)
                    self.send_header("Last-Modified", formatdate(path.stat().st_mtime, usegmt=True))
                    self.end_headers()
                    if body:
                        with open(path, "rb") as f:
                            f.seek(start)
                            remaining = stop - start
                            while remaining:
                                chunk = f.read(min(remaining, 1 << 20))
                                if not chunk:
                                    break
                                self.wfile.write(chunk)
                                remaining -= len(chunk)
                                sent += len(chunk)
                finally:
                    server.log.append((arrived, self.command, self.path, rng, status, sent))

            def do_GET(self) -> None:  # noqa: N802
                self._serve(True)

            def do_HEAD(self) -> None:  # noqa: N802
                self._serve(False)

        self.server = _Threaded(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        self.server.shutdown()
        self.server.server_close()

    def waves(self, since: int = 0) -> list[list[tuple[float, str, str, str, int, int]]]:
        """Requests from ``log[since:]`` grouped into sequential round trips: a request
        arriving more than half the latency after the previous one starts a new wave
        (requests of one wave are sent together; the next wave waits for answers)."""
        entries = sorted(self.log[since:])
        out: list[list[tuple[float, str, str, str, int, int]]] = []
        for entry in entries:
            if not out or entry[0] - out[-1][-1][0] > self.latency_s / 2:
                out.append([])
            out[-1].append(entry)
        return out


class FaultProxy:
    """An HTTP proxy to an upstream server that misbehaves on chosen requests.

    ``faults`` is a queue consumed by GET requests: each entry is one of ``"ok"``,
    ``"503"``, ``"throttle"`` (S3 SlowDown), ``"stall"`` (sleep past the client's
    read timeout), ``"truncate"`` (send half the body, then close), ``"short"`` (half
    the body with a Content-Length that agrees with it: only the object's size tells),
    ``"corrupt"`` (a byte of the body inverted: the middle one, or under ``chaos`` one
    drawn at random, as damage in transit would be), ``"412"`` (the object changed:
    PreconditionFailed, to conditional reads only), ``"reset"`` (close without answering),
    ``"dynamodb-throttle"`` (ProvisionedThroughputExceeded). An empty queue means
    ``"ok"``; ``always`` applies to every request when set; ``chaos`` = (rate, kinds,
    seed) draws a fault of ``kinds`` for that fraction of requests.
    """

    def __init__(self, upstream: str, stall_s: float = 3.0) -> None:
        host, port = upstream.removeprefix("http://").split(":")
        self.faults: collections.deque[str] = collections.deque()
        self.always: str | None = None
        self.chaos: tuple[float, tuple[str, ...], int] | None = None
        self._random: random.Random | None = None
        self.posts_too = False  # apply faults to POST requests (DynamoDB) as well
        self.seen: list[tuple[str, str]] = []
        self.bytes_out = 0
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                fault = "ok"
                if self.command == "GET" or (self.command == "POST" and proxy.posts_too):
                    fault = proxy.always or (proxy.faults.popleft() if proxy.faults else "ok")
                    if proxy.chaos and fault == "ok":
                        rate, kinds, seed = proxy.chaos
                        proxy._random = proxy._random or random.Random(seed)
                        if proxy._random.random() < rate:
                            fault = proxy._random.choice(kinds)
                proxy.seen.append((self.command, fault))
                if fault == "reset":
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                if fault == "dynamodb-throttle":
                    payload = (
                        b'{"__type":"com.amazonaws.dynamodb.v20120810#'
                        b'ProvisionedThroughputExceededException","message":"injected"}'
                    )
                    self.send_response(400)
                    self.send_header("Content-Type", "application/x-amz-json-1.0")
                    self.send_header("x-amzn-ErrorType", "ProvisionedThroughputExceededException")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                if fault == "412" and not self.headers.get("If-Match"):
                    fault = "ok"  # only a conditional read can find the object changed
                if fault == "412":
                    payload = (
                        b"<Error><Code>PreconditionFailed</Code><Message>injected</Message></Error>"
                    )
                    self.send_response(412)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                if fault in {"503", "throttle"}:
                    code = "ServiceUnavailable" if fault == "503" else "SlowDown"
                    payload = (
                        f"<Error><Code>{code}</Code><Message>injected</Message></Error>"
                    ).encode()
                    self.send_response(503)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                if fault == "stall":
                    time.sleep(stall_s)
                conn = http.client.HTTPConnection(host, int(port), timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                conn.request(self.command, self.path, body=body, headers=headers)
                reply = conn.getresponse()
                data = reply.read()
                if fault == "short" and len(data) > 1:
                    data = data[: len(data) // 2]
                elif fault == "corrupt" and data:
                    at = proxy._random.randrange(len(data)) if proxy.chaos else len(data) // 2
                    data = data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]
                self.send_response(reply.status)
                dropped = {"connection", "transfer-encoding", "server", "date"}
                if self.command != "HEAD":  # a body's length: the one sent (see "short")
                    dropped.add("content-length")
                    self.send_header("Content-Length", str(len(data)))
                for name, value in reply.getheaders():
                    if name.lower() not in dropped:
                        self.send_header(name, value)
                self.end_headers()
                if fault == "truncate" and len(data) > 1:
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self.close_connection = True
                    self.connection.shutdown(socket.SHUT_RDWR)
                    return
                self.wfile.write(data)
                proxy.bytes_out += len(data)
                conn.close()

            do_GET = do_HEAD = do_PUT = do_POST = _forward  # noqa: N815

        self.server = _Threaded(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        """Stop serving and close the listening socket."""
        self.server.shutdown()
        self.server.server_close()


class Gunicorn:
    """The app under gunicorn with the production configuration (conf/gunicorn.conf.py),
    on a free port of 127.0.0.1, with ``env`` (PLATECUT_* settings) on top of ours."""

    def __init__(self, env: dict[str, str], workers: int = 2, log: Path | None = None) -> None:
        from service.settings import PROJECT_ROOT

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        full = {
            **os.environ,
            **env,
            "PLATECUT_SERVER_BIND": f"127.0.0.1:{self.port}",
            "PLATECUT_SERVER_WORKERS": str(workers),
        }
        self.log = log
        out = open(log, "w") if log else subprocess.DEVNULL  # noqa: SIM115
        self.proc = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("gunicorn")),
                "-c",
                str(PROJECT_ROOT / "conf" / "gunicorn.conf.py"),
                "service.app:create_app()",
            ],
            cwd=PROJECT_ROOT,
            env=full,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if log:
            out.close()  # the child holds its own descriptor
        wait_until_answering(self.proc, f"{self.url}/health", "gunicorn")

    def worker_pids(self) -> list[int]:
        """The web worker processes (children of the master but its Dask cluster)."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        pids = []
        for pid in (children.read_text() if children.exists() else "").split():
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue  # gone
            if b"service.jobs.cluster" not in command:
                pids.append(int(pid))
        return pids

    def stop(self) -> None:
        """Stop gunicorn and its workers."""
        import signal

        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


class DaskCluster:
    """A Dask cluster started as an operator starts one: ``dask scheduler`` and
    ``workers`` separate ``dask worker`` processes (``threads`` each), on a free port of
    127.0.0.1, with a scratch directory of their own."""

    def __init__(self, workers: int = 2, threads: int = 2) -> None:
        import json
        import tempfile

        bin_dir = Path(sys.executable).parent
        self.scratch = Path(tempfile.mkdtemp(prefix="platecut-dask-test-"))
        self.address = f"tcp://127.0.0.1:{free_port()}"
        from service.jobs.cluster import DASK_CONF

        # each in a session of its own: stop() ends a worker with the process it spawned;
        # with the configuration the README gives an operator's workers
        env = {**os.environ, "DASK_CONFIG": str(DASK_CONF)}
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL,
                 "start_new_session": True, "env": env}  # fmt: skip
        self.procs = [
            subprocess.Popen(
                [str(bin_dir / "dask"), "scheduler", "--host", "127.0.0.1",
                 "--port", self.address.rsplit(":", 1)[1], "--no-dashboard",
                 "--scheduler-file", str(self.scratch / "scheduler.json")],
                **quiet,
            )
        ]  # fmt: skip
        deadline = time.monotonic() + 60
        while not (self.scratch / "scheduler.json").exists():
            if time.monotonic() > deadline or self.procs[0].poll() is not None:
                self.stop()
                raise RuntimeError("dask scheduler did not start")
            time.sleep(0.2)
        assert json.loads((self.scratch / "scheduler.json").read_text())["address"] == self.address
        for i in range(workers):
            self.procs.append(
                subprocess.Popen(
                    [str(bin_dir / "dask"), "worker", self.address, "--nthreads", str(threads),
                     "--nworkers", "1", "--no-dashboard", "--name", f"worker-{i}",
                     "--local-directory", str(self.scratch / f"worker-{i}")],
                    **quiet,
                )
            )  # fmt: skip
        from distributed import Client

        try:
            with Client(self.address, timeout=60) as client:
                client.wait_for_workers(workers, timeout=120)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        """Stop the workers and what they spawned, then the scheduler."""
        import shutil
        import signal

        for proc in reversed(self.procs):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
        for proc in self.procs:  # a worker's own process, should it outlive its nanny
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        shutil.rmtree(self.scratch, ignore_errors=True)
