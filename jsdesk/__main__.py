"""Allow ``python -m jsdesk``."""

import sys

from jsdesk.cli import main

sys.exit(main())
