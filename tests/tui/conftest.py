"""The client's tests run against the same scanned test library as the server's."""

from tests.server.conftest import library  # noqa: F401  (a fixture)
