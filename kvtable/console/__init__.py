"""What the tools show a person and read from one: errors with their exit codes, text files, aligned
columns and progress of long waits. Plain helpers that import nothing else of kvtable."""
