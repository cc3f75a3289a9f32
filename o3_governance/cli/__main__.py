"""`python -m o3_governance.cli`: the same as the `o3-governance` console script."""
import sys

from o3_governance.cli import main

sys.exit(main())
