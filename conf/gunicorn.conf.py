"""gunicorn configuration for Platecut: bind, workers and timeout come from the settings.

Run: ``gunicorn -c conf/gunicorn.conf.py 'service.app:create_app()'``.
"""

import os
import shutil
import tempfile

from service.settings import load_settings

_settings = load_settings()
_server = _settings.server

bind = _server.bind
workers = _server.workers
timeout = _server.timeout
# One line per request comes from the app (service.web.metrics: method, path, endpoint,
# status, time and the request id of X-Request-ID), so gunicorn's access log is off.
accesslog = None
errorlog = "-"
loglevel = "info"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {"format": "%(asctime)s [%(process)d] [%(levelname)s] %(name)s: %(message)s"}
    },
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "line",
            "stream": "ext://sys.stderr",
        },
    },  # fmt: skip
    "root": {"level": "WARNING", "handlers": ["stderr"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
        "platecut": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
        "service": {"level": "INFO", "handlers": ["stderr"], "propagate": False},
    },
}
# Workers are independent processes: nothing is shared but the files and services
# they open, so the app may be imported after the fork.
preload_app = False
# Request lines of any length reach the app, which answers past vo.max_request_bytes
# with the protocol's error document (gunicorn's own 414 is an HTML page).
limit_request_line = 0
# No control socket: every gunicorn would share ~/.gunicorn/gunicorn.ctl, so two
# Platecut servers on one host would manage each other's workers.
control_socket_disable = True


def on_starting(server) -> None:  # noqa: ANN001
    """Give this server's workers a metrics directory of their own, and start the local
    Dask cluster for jobs (unless stacks.scheduler names one); the workers, forked after
    this, read both from the environment."""
    metrics = tempfile.mkdtemp(prefix="platecut-metrics-")  # this server's, no other's
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics
    server.platecut_metrics = metrics
    if _settings.stacks.scheduler:
        return
    from service.jobs import cluster

    address, proc = cluster.start(_settings.stacks.local_workers, _settings.stacks.local_threads)
    os.environ["PLATECUT_STACKS_SCHEDULER"] = address
    server.platecut_cluster = proc
    server.log.info("local Dask cluster at %s", address)


def post_worker_init(worker) -> None:  # noqa: ANN001
    """The worker's app is built: keep it out of the garbage collector's scans."""
    from service.wiring import settle

    settle()


def child_exit(server, worker) -> None:  # noqa: ANN001
    """A worker's live gauges go with it (its counts stay in the totals)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server) -> None:  # noqa: ANN001
    """Stop the local Dask cluster; remove the metrics directory."""
    shutil.rmtree(getattr(server, "platecut_metrics", ""), ignore_errors=True)
    proc = getattr(server, "platecut_cluster", None)
    if proc is not None:
        from service.jobs import cluster

        cluster.stop(proc)
