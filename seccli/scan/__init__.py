"""Scanning a repository: checkov, bandit and semgrep adapters, one findings model, cache,
the rule map (severities, equivalences) and ``run.scan_repository``, the command's capability."""
