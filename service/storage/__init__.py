"""Object stores behind small interfaces: the archive's read-only
:class:`~service.storage.base.ObjectStore` (local files, S3, plain HTTP(S)) and the
writable :class:`~service.storage.base.ResultBucket` (S3) for what the service makes.

``factory.open_store(settings)`` chooses one from the archive root: a local path, an
``s3://bucket/prefix`` or an ``http(s)://`` base URL. boto3 appears only in
:mod:`service.storage.s3`, and in the DynamoDB catalog and job store; requests only
in :mod:`service.storage.http`.
"""
