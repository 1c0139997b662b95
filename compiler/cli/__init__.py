"""The `milkrun` command: argument parsing for every subcommand (command.py, and fepia.py, sweep.py for
their own options) and the exit codes. Imports anything below it; nothing imports it.
"""
from milkrun.compiler.cli.command import console_main, main

__all__ = ["console_main", "main"]
