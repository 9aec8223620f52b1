"""The marker that stands where a secret value was taken out of text.

A leaf module: ``redaction`` (registered secrets, the logging filter) and ``urls`` (credentials
in URLs) both write it, and the filter also redacts URLs, so the marker lives below both.
"""

from __future__ import annotations

REDACTED = "***REDACTED***"
