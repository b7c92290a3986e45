"""The Auralis terminal client."""
