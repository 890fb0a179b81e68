"""`python -m pydeclos` is the `pydeclos` command."""

from pydeclos.cli import main

main()
