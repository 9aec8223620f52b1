"""Tabletop incident-response drills on a simulated clock (issue 19)."""
