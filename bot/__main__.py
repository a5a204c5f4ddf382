"""`python -m bot` is the same as the `haki` command."""

from bot.cli import main

main()
