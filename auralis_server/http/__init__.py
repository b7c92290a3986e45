"""The HTTP edge: the Starlette app, request parameters, bearer auth, errors as JSON, routes.

Owns nothing but the translation between HTTP and the packages below: a route parses its
request, calls the library, fingerprint or streaming packages, and turns their results and
exceptions into responses. Nothing below imports this package.

Imports: audio, config, events, fingerprint, fingerprint.dsp, fingerprint.rust, http.subsonic, library, mastering, services, streaming.
"""
