"""Build configuration pyproject.toml cannot express: ship the repository's data folders.

``rego/``, ``policies/semgrep/``, ``examples/`` and ``playbooks/`` stay where the repository
keeps them; the wheel carries each one under ``seccli/_data/`` with the same relative path,
where ``seccli.core.resources.bundled_path`` finds it. Which files of those folders are
shipped (package-data) and everything else is in pyproject.toml.
"""

from setuptools import find_packages, setup

# Package name in the wheel -> folder in the repository (seccli.core.resources.BUNDLED_FOLDERS).
DATA_FOLDERS = {
    "seccli._data.rego": "rego",
    "seccli._data.policies.semgrep": "policies/semgrep",
    "seccli._data.examples": "examples",
    "seccli._data.playbooks": "playbooks",
}

setup(
    packages=[*find_packages(include=["seccli", "seccli.*"]), *DATA_FOLDERS],
    package_dir=dict(DATA_FOLDERS),
)
