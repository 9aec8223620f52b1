"""The command-line interface: parse arguments, call a capability, render, choose the exit code."""
