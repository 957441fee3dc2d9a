"""`python -m export`: see export/export.py."""

import sys

from export.export import main

sys.exit(main())
