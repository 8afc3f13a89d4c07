"""``python -m ailurus_ml.cli``: the same as the ``ailurus`` script."""

import sys

from ailurus_ml.cli import main

sys.exit(main())
