"""Where the commands' output goes and what their exit codes mean, shared by every subcommand."""
from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

# 0 solved (a plan in hand), 1 no plan, 2 the user's mistake, 3 a bug in milkrun, 130 Ctrl-C
EXIT_SOLVED, EXIT_NO_SOLUTION, EXIT_USER_ERROR, EXIT_INTERNAL, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_BROKEN_PIPE = 141  # as a shell reports a process ended by SIGPIPE


def stdout_console() -> Console:
    """Rich output on stdout; when it is not a terminal, lines are not wrapped at 80 columns. (rich is
    imported here: --json and --help print without it.)"""
    from rich.console import Console

    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=max(shutil.get_terminal_size((160, 24)).columns, 160),
                          soft_wrap=True)
    return console
