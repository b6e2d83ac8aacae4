# Platecut service image: gunicorn with the production configuration.
# All settings come from PLATECUT_* environment variables (see README).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    PLATECUT_SERVER_BIND=0.0.0.0:8080
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends gcc make \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY service ./service
COPY conf ./conf
COPY votable_templates ./votable_templates
RUN pip install --no-cache-dir -e . && apt-get purge -y gcc && apt-get autoremove -y
RUN useradd --create-home platecut && mkdir -p /app/var && chown platecut /app/var
USER platecut
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s CMD python -c \
    "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/health', timeout=4)"
CMD ["gunicorn", "-c", "conf/gunicorn.conf.py", "service.app:create_app()"]
