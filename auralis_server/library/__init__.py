"""The music library: the database schema and its migrations, scanning folders into it, tags,
queries for browsing, and the synthetic demo library.

Owns the database connection and every table. Raises ``library.errors`` exceptions, never
HTTP ones; the HTTP layer translates them.

Imports: audio, config, events.
"""
