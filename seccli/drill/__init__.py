"""Tabletop incident-response drills on a simulated clock."""
