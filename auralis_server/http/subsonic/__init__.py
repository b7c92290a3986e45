"""The Subsonic API 1.16.1 with the OpenSubsonic additions, under ``/rest/``: what phone and
desktop music clients (Symfonium, DSub, Feishin, Supersonic, stmp …) speak.

``dispatch`` parses every call (query or form body), authenticates it (``auth``) and turns
the handler's payload into the JSON or XML envelope (``envelope``); one module per family of
endpoints holds the handlers, on top of the library's own queries. docs/subsonic.md lists
the endpoints, the id scheme and the similarity weights.

Imports: audio, config, fingerprint, library, mastering.
"""
