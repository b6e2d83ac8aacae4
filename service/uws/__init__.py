"""Asynchronous jobs (IVOA UWS 1.1): the job model, where jobs and their results are
kept (SQLite or DynamoDB; a local directory or S3), so that any worker or instance can
answer for any job. Depends on the fault hierarchy and the storage layer only."""
