"""Reading pixel boxes of (compressed) FITS mosaics with only the bytes they need.

``plan`` works out byte ranges from FITS structure, ``replica`` keeps fetched
ranges in a shared sparse local file, ``reader`` runs the phases and lets cfitsio
(through fitsio) decompress from the replica. Depends on :mod:`service.storage`
and :mod:`service.faults` only.
"""
