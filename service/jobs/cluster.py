"""The local Dask cluster of ``make serve`` (the embedded default): a process of its own,
started by gunicorn's master before its workers and stopped with it, on a free port of
127.0.0.1, so that two servers on one host never share a cluster.

Run: ``python -m service.jobs.cluster --workers N --threads T --address-file F`` (it writes the
scheduler's address to F, then runs until SIGTERM).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from service.settings import PROJECT_ROOT

#: Dask configuration of the stack workers (no profiler, malloc tuning): the local
#: cluster loads it, an operator's cluster reads it with DASK_CONFIG (see the README)
DASK_CONF = PROJECT_ROOT / "conf" / "dask"


def load_dask_conf() -> None:
    """Put :data:`DASK_CONF` under the user's own Dask files and ``DASK_*`` variables
    (Dask's order: its defaults, these files, then the environment)."""
    import dask

    if not any(DASK_CONF.glob("*.yaml")):
        raise RuntimeError(f"no Dask configuration in {DASK_CONF}")
    dask.config.refresh(paths=[str(DASK_CONF), *dask.config.paths])


def serve(workers: int, threads: int, address_file: Path) -> None:
    """Run a LocalCluster of worker processes (``threads`` frames at once each: their
    reads wait on the store while others decode) until SIGTERM.

    Its workers run with ``conf/dask``: without Dask's statistical profiler (a tenth of
    their GIL time in a warm stack) and with glibc keeping freed memory for the next
    frame (docs/BENCHMARKS.md).
    """
    from distributed import Client, LocalCluster

    from service.jobs.plugin import WarmUp

    scratch = tempfile.mkdtemp(prefix="platecut-dask-")
    load_dask_conf()  # the nannies hand their config (and environment) to the workers
    cluster = LocalCluster(
        n_workers=workers or os.cpu_count() or 1,
        threads_per_worker=max(1, threads),
        processes=True,
        host="127.0.0.1",
        scheduler_port=0,
        dashboard_address=None,
        local_directory=scratch,
    )
    with Client(cluster) as client:
        client.register_plugin(WarmUp())  # also on a worker its nanny restarts
    tmp = address_file.with_name(address_file.name + ".tmp")
    tmp.write_text(cluster.scheduler_address)
    os.replace(tmp, address_file)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    cluster.close()


def start(workers: int, threads: int = 1, timeout_s: float = 120.0) -> tuple[str, subprocess.Popen]:
    """Start the cluster process; return its scheduler's address and the process."""
    folder = Path(tempfile.mkdtemp(prefix="platecut-cluster-"))
    address_file = folder / "scheduler"
    proc = subprocess.Popen(
        [sys.executable, "-m", "service.jobs.cluster", "--workers", str(workers),
         "--threads", str(threads), "--address-file", str(address_file)],
    )  # fmt: skip
    deadline = time.monotonic() + timeout_s
    while not address_file.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("the local Dask cluster did not start")
        time.sleep(0.2)
    return address_file.read_text().strip(), proc


def stop(proc: subprocess.Popen) -> None:
    """Stop the cluster process (and its workers)."""
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--address-file", type=Path, required=True)
    args = parser.parse_args()
    serve(args.workers, args.threads, args.address_file)


if __name__ == "__main__":
    main()
