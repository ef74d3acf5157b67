"""`python -m asl`: the command line."""

from .cli import main

raise SystemExit(main())
