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
# Request lines of any length reach the app, which answers past vo.max_request_bytes
# with the protocol's error document (gunicorn's own 414 is an HTML page).
limit_request_line = 0
# No control socket: every gunicorn would share ~/.gunicorn/gunicorn.ctl, so two
# Platecut servers on one host would manage each other's workers.
control_socket_disable = True
