# Platecut service image: gunicorn with the production configuration.
# All settings come from PLATECUT_* environment variables (see README).
FROM python:3.11-slim-bookworm

# Links in answers are made from each request's Host header, and only the names listed
# in PLATECUT_VO_ALLOWED_HOSTS are answered (others: 400, and a log line naming the host
# refused). Give the names clients reach the container by
#     docker run -e PLATECUT_VO_ALLOWED_HOSTS=plates.example.org,localhost ...
# or, behind a proxy, the public URL (then any Host is answered, links use it)
#     docker run -e PLATECUT_VO_BASE_URL=https://plates.example.org ...
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PLATECUT_SERVER_BIND=0.0.0.0:8080 \
    PLATECUT_VO_ALLOWED_HOSTS=localhost,127.0.0.1 \
    DASK_CONFIG=/app/conf/dask
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends gcc make \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md LICENSE ./
COPY requirements/app.lock ./requirements/app.lock
RUN pip install --no-cache-dir -r requirements/app.lock
COPY service ./service
COPY conf ./conf
COPY votable_templates ./votable_templates
RUN pip install --no-cache-dir --no-deps -e . && apt-get purge -y gcc && apt-get autoremove -y
# bytecode of the package made once here: PYTHONDONTWRITEBYTECODE (and a read-only /app)
# would otherwise make every worker and cold start compile it (~60 ms, docs/BENCHMARKS.md)
RUN python -m compileall -q service
RUN useradd --create-home platecut && mkdir -p /app/var && chown platecut /app/var
USER platecut
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s CMD python -c \
    "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/health', timeout=4)"
CMD ["gunicorn", "-c", "conf/gunicorn.conf.py", "service.app:create_app()"]
