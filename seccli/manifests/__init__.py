"""The objects a path deploys: manifest files, folders and Kustomize builds.

Usage::

    from seccli.manifests import collect_documents

    build = collect_documents([Path("deploy/")])
    for obj in build.objects:        # every Kubernetes object, as it would be deployed
        obj.data, obj.kind, obj.source, obj.locate("spec", "podSelector")
    build.files                      # every file that made the build, in reading order

A folder holding a kustomization file is built as ``kubectl kustomize`` builds it; any other
folder is read as ``kubectl apply -R -f`` reads it (see ``seccli.manifests.collect``). What
cannot be judged exactly (a kustomization feature not implemented, a reference outside the root,
a cycle, a missing file) is an ``InputError`` (exit 2), never skipped.
"""

from seccli.manifests.collect import MANIFEST_SUFFIXES, collect_documents, manifest_files
from seccli.manifests.kustomize import KUSTOMIZATION_NAMES, build_kustomization
from seccli.manifests.model import Build, SourcedObject

__all__ = [
    "KUSTOMIZATION_NAMES",
    "MANIFEST_SUFFIXES",
    "Build",
    "SourcedObject",
    "build_kustomization",
    "collect_documents",
    "manifest_files",
]
