"""Platecut: a Virtual Observatory image service for photographic-plate archives.

The package imports nothing on its own: the web app is :func:`service.app.create_app`,
the command line :mod:`service.cli`, the Dask worker side :mod:`service.jobs.worker`;
each loads only what it uses.
"""

__version__ = "0.1.0"
