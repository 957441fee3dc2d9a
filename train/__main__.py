"""`python -m train`: see train/train.py."""

import sys

from train.train import main

sys.exit(main())
