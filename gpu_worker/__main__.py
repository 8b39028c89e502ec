"""``python -m gpu_worker [--burst] [--check]`` — see gpu_worker/worker.py."""

import sys

from .worker import main

sys.exit(main())
