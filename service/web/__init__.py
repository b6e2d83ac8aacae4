"""The web face of Platecut: one thin blueprint per protocol (SIA 2.0 and 1.0, SODA sync
and async, DataLink, VOSI, the registry), the archive files, the landing page with its
search and the health check; :mod:`service.web.context` gives them the process's
services, :mod:`service.web.results` sends large answers to the results bucket."""
