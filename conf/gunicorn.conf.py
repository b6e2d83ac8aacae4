"""gunicorn configuration for Platecut: bind, workers and timeout come from the settings.

Run: ``gunicorn -c conf/gunicorn.conf.py 'service.app:create_app()'``.
"""

import os

from service.settings import load_settings

_settings = load_settings()
_server = _settings.server

bind = _server.bind
workers = _server.workers
timeout = _server.timeout
accesslog = "-"
errorlog = "-"
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
    """Start the local Dask cluster for jobs (unless stacks.scheduler names one); the
    workers, forked after this, read its address from the environment."""
    if _settings.stacks.scheduler:
        return
    from service.jobs import cluster

    address, proc = cluster.start(_settings.stacks.local_workers, _settings.stacks.local_threads)
    os.environ["PLATECUT_STACKS_SCHEDULER"] = address
    server.platecut_cluster = proc
    server.log.info("local Dask cluster at %s", address)


def on_exit(server) -> None:  # noqa: ANN001
    """Stop the local Dask cluster."""
    proc = getattr(server, "platecut_cluster", None)
    if proc is not None:
        from service.jobs import cluster

        cluster.stop(proc)
