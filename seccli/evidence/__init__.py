"""Audit evidence: control catalogs and crosswalk, check→control mapping, collectors, the signed
evidence pack, its verification, OSCAL assessment results, the HTML report and security KPIs.

Import from the submodules (``seccli.evidence.catalog``, ``.mapping``, ``.pack``, ``.verify``):
this package's ``__init__`` stays empty for start-up speed.
"""
