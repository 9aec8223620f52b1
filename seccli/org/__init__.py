"""The security organisation: teams, members, squads, on-call schedules, escalation, routing."""
