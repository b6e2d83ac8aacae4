"""Cutouts: the target grid (:mod:`~service.cutout.grid`), the plate outline met with it
(:mod:`~service.cutout.overlap`), the pixel mapping (:mod:`~service.cutout.mapping`),
resampling (:mod:`~service.cutout.resample`), the engine that reads only the tiles a
cutout needs (:mod:`~service.cutout.engine`), PNG/JPEG previews
(:mod:`~service.cutout.preview`) and the cutout service that resolves identifiers in
one catalog lookup (:mod:`~service.cutout.service`).

Depends on :mod:`service.rangeread` (pixels), :mod:`service.wcs`, the catalog's
interface and records, and :mod:`service.faults`; never on Flask or the VO layer.
"""
