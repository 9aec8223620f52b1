"""seccli: security and compliance automation toolkit."""

__version__ = "0.1.0"
