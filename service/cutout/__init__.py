"""The cutout engine: WCS solutions, the target grid, the mapping, resampling, FITS output.

Depends on :mod:`service.rangeread` (pixels), :mod:`service.storage` (header files
and sidecars), :mod:`service.archive.layout`, :mod:`service.wcs` and
:mod:`service.faults`; never on Flask or the VO layer.
"""
