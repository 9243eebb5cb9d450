"""`python -m reviewer` runs the CLI."""

from reviewer.cli import main

main()
