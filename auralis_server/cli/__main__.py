"""`python -m auralis_server.cli`: the same as the `auralis-server` script."""

import sys

from auralis_server.cli import main

sys.exit(main())
