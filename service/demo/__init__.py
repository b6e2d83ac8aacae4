"""A generator of realistic demo plate archives (DASCH-like), and its ground truth.

Used by ``platecut demo-archive``, by the tests and by the benchmarks. It depends
on :mod:`service.archive.layout` and :mod:`service.wcs.rotation` only, and on no
WCS library: its projection and distortion model are its own, so that tests can
check astropy's reading of the headers against an independent truth.
"""
