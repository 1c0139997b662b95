"""From a checked model to a solved one: checks, data binding, backends, solve, results."""
