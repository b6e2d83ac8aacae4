"""Reading pixel boxes of (compressed) FITS mosaics with only the bytes they need.

``fitsmeta`` reads the FITS structure (image layout, tile descriptors, heap),
``head`` the leading bytes of an object up to its image header, ``ranges`` does the
byte-range arithmetic, ``replica`` keeps fetched ranges in a shared sparse local
file, ``decode`` decompresses tiles on every core (astropy's cfitsio codecs), and
``reader`` runs the two phases of a box. Depends on :mod:`service.storage` and
:mod:`service.faults` only.
"""
