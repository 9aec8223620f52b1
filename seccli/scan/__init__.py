"""Scanning a repository: checkov, bandit and semgrep adapters, one findings model, cache, SARIF."""
