"""``python -m ailurus_ml.cli`` = ``ailurus``."""

import sys

from ailurus_ml.cli import main

sys.exit(main())
