"""``python -m videogen.engine render --brief B.json --out DIR [...]`` (see :mod:`videogen.engine.cli`)."""

import sys

from videogen.engine.cli import main

sys.exit(main())
