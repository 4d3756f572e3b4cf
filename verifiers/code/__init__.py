"""Pure helpers for code tasks: test lines, programs in completions, test runs, clustering."""
