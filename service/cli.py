"""platecut: the command line of the Platecut plate-archive service.

commands:
demo-archive [OUT_DIR] [--plates N] [--size PX] [--seed S] [--series a,mc] [--field RA,DEC]
             [--layout platecut|dasch-dr7]
    Generate a demo plate archive (default: the configured archive root and layout).
cutout OUT.fits --plate P --solution N --ra RA --dec DEC [--size PX ...]
    Make one cutout of a catalogued exposure solution (local or S3 archive).
catalog create
    Create the catalog tables (SQLite file or DynamoDB table).
ingest [--workers N] [--force]
    Fill the catalog from the configured archive (its layout: archive.layout).
stack OUT --ra RA --dec DEC [--radius DEG] [--from DATE] [--to DATE] [--format F]
    Every exposure covering a position, cut on one grid (on Dask), in one file.
parameters
    Print every protocol's parameter table (the README's, generated from service/vo).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from service.settings import Settings, SettingsError, load_settings


def _dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _demo_archive(args: argparse.Namespace, settings: Settings) -> int:
    from service.demo.generate import generate_archive

    if (args.layout or settings.archive.layout) == "dasch-dr7":
        return _demo_dr7(args, settings)
    out = Path(args.out_dir) if args.out_dir else settings.local_archive_path()
    if args.if_absent and (out / "archive.json").exists():
        print(f"demo archive present at {out}; not regenerated")
        return 0
    plates = args.plates if args.plates is not None else settings.demo.plates
    seed = args.seed if args.seed is not None else settings.demo.seed
    series = args.series.split(",") if args.series else None
    fields = None
    if args.field:
        ra, dec = (float(v) for v in args.field.split(","))
        fields = ((ra, dec),)
    start = time.perf_counter()
    ids = generate_archive(
        out,
        plates=plates,
        seed=seed,
        size=args.size,
        series=series,
        workers=args.workers,
        fields=fields,
    )
    elapsed = time.perf_counter() - start
    print(
        f"wrote {len(ids)} plates to {out} in {elapsed:.1f} s "
        f"({_dir_size(out) / 1e6:.1f} MB): {' '.join(ids)}"
    )
    return 0


def _demo_dr7(args: argparse.Namespace, settings: Settings) -> int:
    """The DR7-shaped demo, into the configured bucket (archive.root) and plates table."""
    from urllib.parse import urlparse

    import boto3

    from service.demo.dr7 import plan_dr7, write_dr7

    root = urlparse(args.out_dir or settings.archive.root)
    if root.scheme != "s3":
        print(f"platecut: a DR7 archive lives in a bucket: {root.geturl()!r} is no "
              "s3://bucket[/prefix]", file=sys.stderr)  # fmt: skip
        return 2
    region = settings.storage.s3_region
    s3 = boto3.client("s3", endpoint_url=settings.storage.s3_endpoint_url or None,
                      region_name=region)  # fmt: skip
    c = settings.catalog
    db = boto3.client("dynamodb", endpoint_url=c.dynamodb_endpoint_url or None,
                      region_name=c.dynamodb_region)  # fmt: skip
    table = settings.archive.dasch_table
    try:
        if args.if_absent:
            try:
                if db.scan(TableName=table, Limit=1)["Items"]:
                    print(f"DR7 plates table {table} holds plates; not regenerated")
                    return 0
            except db.exceptions.ResourceNotFoundException:
                pass
        plates = args.plates if args.plates is not None else settings.demo.plates
        seed = args.seed if args.seed is not None else settings.demo.seed
        series = args.series.split(",") if args.series else None
        start = time.perf_counter()
        plans = plan_dr7(plates, seed, size=args.size, series=series)
        ids = write_dr7(s3, root.netloc, root.path, db, table, plans, args.workers)
    finally:
        s3.close()
        db.close()
    print(f"wrote {len(ids)} DR7 plates to {root.geturl()} and table {table} in "
          f"{time.perf_counter() - start:.1f} s: {' '.join(ids)}")  # fmt: skip
    return 0


def _cutout(args: argparse.Namespace, settings: Settings) -> int:
    from service.catalog.records import obs_id
    from service.cutout.engine import CutoutRequest, NoOverlap
    from service.cutout.grid import TargetGrid
    from service.faults import Fault
    from service.wiring import Services

    defaults = settings.cutout
    size = args.size or defaults.default_size
    grid = TargetGrid(
        args.ra,
        args.dec,
        size,
        args.height or size,
        args.scale or defaults.default_scale_arcsec,
        args.rotation,
        args.projection,
    )
    request = CutoutRequest(grid, args.interpolation, args.native)
    services = Services(settings)
    try:
        cutouts = services.cutouts
        result = cutouts.cut(
            cutouts.resolve(obs_id(args.plate, args.mosaic, args.solution)), request
        )
    except Fault as exc:
        print(f"platecut: {exc.label}: {exc}", file=sys.stderr)
        return 1
    finally:
        services.close()
    if isinstance(result, NoOverlap):
        print(
            f"platecut: position does not fall on plate {args.plate} "
            f"(solution {args.solution}); nothing written",
            file=sys.stderr,
        )
        return 3
    Path(args.out).write_bytes(result.to_fits())
    print(
        f"wrote {args.out}: {result.data.shape[1]} x {result.data.shape[0]} px from "
        f"{args.plate} solution {args.solution}; fetched {result.stats.as_dict()}"
    )
    return 0


def _catalog_create(args: argparse.Namespace, settings: Settings) -> int:
    from service.catalog.factory import open_catalog

    catalog = open_catalog(settings)
    try:
        catalog.create()
    finally:
        catalog.close()
    print(f"catalog ready ({settings.catalog.backend})")
    return 0


def _ingest(args: argparse.Namespace, settings: Settings) -> int:
    from service.archive.factory import open_source
    from service.catalog.factory import open_catalog
    from service.catalog.ingest import run_ingest
    from service.storage.factory import open_store

    store, catalog = open_store(settings), open_catalog(settings)
    try:
        start = time.perf_counter()
        source = open_source(settings, store)
        report = run_ingest(source, catalog, workers=args.workers, force=args.force)
    finally:
        catalog.close()
        store.close()
    print(report.summary())
    print(f"in {time.perf_counter() - start:.1f} s")
    return 0


def _download(url: str) -> bytes:
    """A result the result store gives by URL (the results bucket)."""
    import urllib.request

    with urllib.request.urlopen(url, timeout=300) as reply:  # noqa: S310 - our bucket's URL
        return reply.read()


def _stack(args: argparse.Namespace, settings: Settings) -> int:
    import dataclasses

    from service.faults import Fault
    from service.jobs import cluster
    from service.jobs.dask import DaskExecutor
    from service.jobs.formats import STACK_FORMATS, format_of_file, stack_format
    from service.jobs.model import COMPLETED, FINAL
    from service.jobs.outputs import main_product
    from service.jobs.requests import Submission
    from service.progress import draw
    from service.times import mjd
    from service.vo import soda
    from service.vo.values import Params
    from service.wiring import Services

    fmt = stack_format(args.format) if args.format else format_of_file(args.out)
    if fmt is None:
        known = ", ".join(a for f in STACK_FORMATS for a in f.aliases)
        print(f"platecut: say --format for {args.out} ({known})", file=sys.stderr)
        return 2
    pairs = [("POS", f"CIRCLE {args.ra} {args.dec} {args.radius}"), ("RESPONSEFORMAT", fmt.mime)]
    if args.date_from or args.date_to:
        low = mjd(args.date_from) if args.date_from else "-Inf"
        high = mjd(args.date_to) if args.date_to else "+Inf"
        pairs.append(("TIME", f"{low} {high}"))
    pairs += [("COLLECTION", series) for series in filter(None, (args.series or "").split(","))]
    grid = (("SCALE", args.scale), ("WIDTH", args.size), ("STYLE", args.style))
    pairs += [(name, str(value)) for name, value in grid if value]
    try:
        request = soda.parse_stack(Params(pairs), settings, Submission(tuple(pairs), run=True))
    except Fault as exc:
        print(f"platecut: {exc.label}: {exc}", file=sys.stderr)
        return 2
    probe = Services(settings)  # an empty stack starts no cluster and writes nothing
    try:
        found = probe.catalog.search(dataclasses.replace(request.query, maxrec=1)).rows
    finally:
        probe.close()
    if not found:
        print(f"platecut: no exposure with a solution covers RA {args.ra}, Dec {args.dec}"
              f"{' with these dates or series' if len(pairs) > 2 else ''}: nothing written",
              file=sys.stderr)  # fmt: skip
        return 3
    proc = None
    if not settings.stacks.scheduler:  # no cluster configured: one of our own, for this run
        address, proc = cluster.start(settings.stacks.local_workers, settings.stacks.local_threads)
        stacks = dataclasses.replace(settings.stacks, scheduler=address)
        settings = dataclasses.replace(settings, stacks=stacks)
    services = Services(settings, executor=DaskExecutor(settings))
    try:
        jobs = services.job_service
        job = jobs.create(request)
        try:
            while job.phase not in FINAL:
                draw(sys.stderr, "stack", job.done, job.total, "exposures")
                job = jobs.get(job.job_id, wait=1.0)
            draw(sys.stderr, "stack", job.done, job.total, "exposures", job.phase)
            sys.stderr.write("\n")
            if job.phase != COMPLETED:
                print(f"platecut: the stack ended {job.phase}: {job.error}", file=sys.stderr)
                return 1
            answer = jobs.result(job.job_id, main_product(job))
            Path(args.out).write_bytes(answer.body or _download(answer.url or ""))
        finally:
            jobs.destroy(job.job_id)
    except Fault as exc:
        print(f"platecut: {exc.label}: {exc}", file=sys.stderr)
        return 1
    finally:
        services.close()
        if proc is not None:
            cluster.stop(proc)
    failed = sum(1 for o in job.outcomes.values() if o.status != "ok")
    print(f"wrote {args.out}: {job.total} exposures ({failed} without a frame)")
    return 0


def _parameters(args: argparse.Namespace, settings: Settings) -> int:
    from service.vo.capabilities import tables
    from service.vo.parameters import markdown

    for table in tables(settings).values():
        print(markdown(table))
        print()
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of the ``platecut`` command."""
    first, _, rest = __doc__.partition("\n\n")
    parser = argparse.ArgumentParser(
        prog="platecut",
        description=first,
        epilog=rest.strip() + "\n\nsettings: conf/platecut.toml and PLATECUT_* variables "
        "(README, Configuration)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--config", help="settings file (default: $PLATECUT_CONFIG or conf/)")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo-archive", help="generate a demo plate archive")
    demo.add_argument("out_dir", nargs="?", help="output directory (default: archive root)")
    demo.add_argument("--plates", type=int, help="number of plates (default from settings)")
    demo.add_argument("--size", type=int, help="square mosaic side in px (default: 2-3.2k)")
    demo.add_argument("--seed", type=int, help="seed of the sky and plates")
    demo.add_argument("--series", help="comma-separated series codes (a, mc, ac)")
    demo.add_argument("--workers", type=int, help="rendering processes (default: CPUs)")
    demo.add_argument("--field", help="RA,Dec (deg) every plate covers (default: 3 fields)")
    demo.add_argument(
        "--layout",
        choices=("platecut", "dasch-dr7"),
        help="archive layout (default: archive.layout); dasch-dr7 writes to the bucket of "
        "archive.root and the table archive.dasch_table",
    )
    demo.add_argument(
        "--if-absent",
        action="store_true",
        help="do nothing if the directory already holds an archive",
    )
    demo.set_defaults(handler=_demo_archive)
    cut = sub.add_parser("cutout", help="make one cutout from the configured archive")
    cut.add_argument("out", help="output FITS file")
    cut.add_argument("--plate", required=True, help="plate identifier, e.g. a03393")
    cut.add_argument("--solution", type=int, default=0, help="WCS solution (0-based)")
    cut.add_argument("--mosaic", type=int, default=0, help="mosaic number")
    cut.add_argument("--ra", type=float, required=True, help="centre RA, degrees")
    cut.add_argument("--dec", type=float, required=True, help="centre Dec, degrees")
    cut.add_argument("--size", type=int, help="width in px (default from settings)")
    cut.add_argument("--height", type=int, help="height in px (default: square)")
    cut.add_argument("--scale", type=float, help="arcsec per px (default from settings)")
    cut.add_argument("--rotation", type=float, default=0.0, help="degrees east of north")
    cut.add_argument("--projection", default="TAN", help="TAN, SIN, ARC, STG or ZEA")
    cut.add_argument("--interpolation", default="bilinear", help="nearest, bilinear, bicubic")
    cut.add_argument(
        "--native",
        action="store_true",
        help="original mosaic pixels in the region's bounding box, no resampling",
    )
    cut.set_defaults(handler=_cutout)
    cat = sub.add_parser("catalog", help="manage the exposure catalog")
    cat_sub = cat.add_subparsers(dest="catalog_command", required=True)
    cat_sub.add_parser("create", help="create the catalog tables").set_defaults(
        handler=_catalog_create
    )
    ing = sub.add_parser("ingest", help="fill the catalog from the configured archive")
    ing.add_argument("--workers", type=int, default=4, help="plates ingested in parallel")
    ing.add_argument("--force", action="store_true", help="re-ingest unchanged plates too")
    ing.set_defaults(handler=_ingest)
    stack = sub.add_parser("stack", help="every exposure of one position, on one grid")
    stack.add_argument("out", help="output file (.fits, .zip, .png, .pdf, .webp, .json)")
    stack.add_argument("--ra", type=float, required=True, help="RA, degrees")
    stack.add_argument("--dec", type=float, required=True, help="Dec, degrees")
    stack.add_argument("--radius", type=float, default=0.05, help="half-size, deg (0.05)")
    stack.add_argument("--from", dest="date_from", help="earliest date (year, ISO or MJD)")
    stack.add_argument("--to", dest="date_to", help="latest date (year, ISO or MJD)")
    stack.add_argument("--series", help="comma-separated plate series (a, mc, ...)")
    stack.add_argument("--scale", type=float, help="arcsec per px (default from settings)")
    stack.add_argument("--size", type=int, help="grid side in px (default: 2 x radius)")
    stack.add_argument("--format", help="fits, cube, zip, png, pdf, apng, webp, json")
    stack.add_argument("--style", help="previews: platecut or dasch")
    stack.set_defaults(handler=_stack)
    sub.add_parser(
        "parameters", help="print the parameter table of every protocol (Markdown)"
    ).set_defaults(handler=_parameters)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``platecut`` command; returns the exit status."""
    args = build_parser().parse_args(argv)
    from service.logs import route_library_messages

    route_library_messages()
    try:
        settings = load_settings(args.config)
        return args.handler(args, settings)
    except (SettingsError, ValueError) as exc:
        print(f"platecut: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
