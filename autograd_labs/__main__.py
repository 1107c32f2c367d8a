"""Allow `python -m autograd_labs`."""
from autograd_labs.cli import main

raise SystemExit(main())
