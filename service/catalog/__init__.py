"""The exposure catalog: which plates and solutions cover a region of the sky.

``geometry`` holds exact spherical tests, ``index`` the HEALPix cells, ``records``
and ``query`` the data and the filters both backends share, ``sqlite`` and
``dynamodb`` the two implementations of :class:`service.catalog.base.Catalog`, and
``ingest`` fills a catalog from an archive.
"""
