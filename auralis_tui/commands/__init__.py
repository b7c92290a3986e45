"""The headless commands of `auralis` (`ls`, `play`, `fetch`), one module each, and the
options they share; `auralis_tui.cli` parses the command line and runs one of them."""
