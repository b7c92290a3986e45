"""The views (library, queue, track info), one mode each, and the help screen."""
