"""Object stores behind one small interface: local files, S3, plain HTTP(S).

``open_store(settings)`` chooses one from the archive root: a local path, an
``s3://bucket/prefix`` or an ``http(s)://`` base URL. boto3 and requests appear only
in this package.
"""

from service.storage.base import FetchStats, ObjectInfo, ObjectStore
from service.storage.factory import open_store

__all__ = ["FetchStats", "ObjectInfo", "ObjectStore", "open_store"]
