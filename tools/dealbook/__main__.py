"""`python -m dealbook` runs the command line."""

from dealbook.cli import main

main()
