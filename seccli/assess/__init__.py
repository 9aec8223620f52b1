"""``seccli assess``: the main job, every check on one estate and the evidence pack of it."""
