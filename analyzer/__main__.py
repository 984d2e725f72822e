"""`python -m analyzer` runs the logrca command."""

from analyzer.cli import main

main()
