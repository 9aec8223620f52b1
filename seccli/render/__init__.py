"""One renderer per output format, over findings and the tools that produced them.

Capabilities return findings (and their own result objects); commands pick a format and call
the renderers. Import from the modules (this package's ``__init__`` stays empty so that
``seccli.render.formats`` is cheap to import at start-up):

- ``seccli.render.formats``: ``OutputFormat``
- ``seccli.render.model``: ``FindingsReport``, ``ToolInfo``, ``RuleInfo``
- ``seccli.render.interface``: ``Renderer``, ``RENDERERS``, ``render_findings``
- ``seccli.render.sarif``: ``sarif_log``, ``FINGERPRINT_KEY``, ``SECURITY_SEVERITY``
- ``seccli.render.findings_json``: ``finding_json``, ``findings_json``, ``severity_counts``
- ``seccli.render.text``: ``lines_text``, ``table_text``, ``markdown_table``, ``csv_text``
"""
