"""gunicorn configuration for Platecut: bind, workers and timeout come from the settings.

Run: ``gunicorn -c conf/gunicorn.conf.py 'service:create_app()'``.
"""

from service.settings import load_settings

_server = load_settings().server

bind = _server.bind
workers = _server.workers
timeout = _server.timeout
accesslog = "-"
errorlog = "-"
# Workers are independent processes: nothing is shared but the files and services
# they open, so the app may be imported after the fork.
preload_app = False
