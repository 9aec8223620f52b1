"""Collecting the objects of paths: files, folders and Kustomize builds.

Folder rules (what a GitOps tool or ``kubectl`` would deploy from it):

- a folder holding ``kustomization.yaml``, ``kustomization.yml`` or ``Kustomization`` is
  built as ``kubectl kustomize`` builds it (``seccli.manifests.kustomize``): only what the
  kustomization lists counts, other files beside it do not;
- any other folder is read as ``kubectl apply -R -f DIR`` reads it: every ``.yaml``, ``.yml``
  and ``.json`` file (suffix as kubectl matches it, case-sensitive) in it and below, in name
  order; a sub-folder with a kustomization is built instead of walked;
- dot-files and dot-folders are read like any other (kubectl reads them too): nothing is
  hidden from a gate because of its name;
- a symbolic link is followed when it resolves inside the root (the folder named), and refused
  (exit 2) when it leads outside it; a folder reached twice is read once;
- a FIFO, device or socket where a manifest is expected is refused (exit 2);
- a file named explicitly is read whatever its suffix; naming a kustomization file builds its
  folder.

Every document is parsed in full (the safe loader, or a caller's equivalent parser); documents
without a ``kind`` in loose folders are not Kubernetes objects and their files are reported as
``ignored``.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

from seccli.core.documents import LoadLimits, read_source
from seccli.core.errors import InputError
from seccli.manifests.kustomize import (
    KUSTOMIZATION_NAMES,
    Parser,
    build_kustomization,
    find_kustomization,
    parse_safely,
)
from seccli.manifests.model import Build, split_objects

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


def collect_documents(
    paths: Sequence[Path],
    *,
    limits: LoadLimits | None = None,
    root: Path | None = None,
    parser: Parser | None = None,
) -> Build:
    """Every object that ``paths`` deploy, with the files that made the build.

    ``root`` bounds kustomize references and followed links (default: each folder named, or
    the folder of each file named). Errors (``InputError``, exit 2) name the file and line.
    """
    limits = limits or LoadLimits()
    parse = parser or parse_safely
    build = Build()
    collector = _Collector(build, limits, parse)
    for path in paths:
        collector.collect(path, root)
    return build


def manifest_files(paths: Sequence[Path], *, limits: LoadLimits | None = None) -> list[str]:
    """The files a collection of ``paths`` reads (manifests, kustomizations, patches)."""
    return collect_documents(paths, limits=limits).files


class _Collector:
    def __init__(self, build: Build, limits: LoadLimits, parser: Parser) -> None:
        self.build = build
        self.limits = limits
        self.parser = parser
        self.seen_files: set[Path] = set()
        self.seen_dirs: set[Path] = set()

    def collect(self, path: Path, root: Path | None) -> None:
        try:
            info = path.stat()
        except FileNotFoundError:
            raise InputError(f"{path}: file or folder not found") from None
        except OSError as exc:
            raise InputError(f"{path}: cannot read: {exc.strerror}") from None
        if stat.S_ISDIR(info.st_mode):
            self.directory(path, Path(os.path.realpath(root or path)))
        elif path.name in KUSTOMIZATION_NAMES:
            self.kustomize(path.parent, Path(os.path.realpath(root or path.parent)))
        else:
            self.file(path, info.st_mode)

    def kustomize(self, directory: Path, root: Path) -> None:
        real = Path(os.path.realpath(directory))
        if real in self.seen_dirs:
            return
        self.seen_dirs.add(real)
        build_kustomization(
            directory, root=root, limits=self.limits, parser=self.parser, build=self.build
        )

    def directory(self, directory: Path, root: Path) -> None:
        if find_kustomization(directory) is not None:
            self.kustomize(directory, root)
            return
        real = Path(os.path.realpath(directory))
        if real in self.seen_dirs:
            return
        self.seen_dirs.add(real)
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            raise InputError(f"{directory}: cannot list: {exc.strerror}") from None
        for entry in entries:
            path = directory / entry.name
            if entry.is_symlink():
                target = Path(os.path.realpath(path))
                if not target.is_relative_to(root):
                    if entry.name.endswith(MANIFEST_SUFFIXES) or target.is_dir():
                        raise InputError(
                            f"{path}: a link to {target}, outside the folder being judged ({root})",
                            hint="copy the file into the tree or name its folder too",
                        )
                    continue
                try:
                    mode = path.stat().st_mode
                except OSError:
                    if entry.name.endswith(MANIFEST_SUFFIXES):
                        raise InputError(f"{path}: broken link") from None
                    continue
            else:
                mode = entry.stat(follow_symlinks=False).st_mode
            if stat.S_ISDIR(mode):
                self.directory(path, root)
            elif entry.name.endswith(MANIFEST_SUFFIXES):
                self.file(path, mode)

    def file(self, path: Path, mode: int) -> None:
        if not stat.S_ISREG(mode):
            raise InputError(f"{path}: not a regular file (a FIFO, device or socket)")
        real = Path(os.path.realpath(path))
        if real in self.seen_files:
            return
        self.seen_files.add(real)
        text = read_source(path, self.limits)
        documents = self.parser(text, str(path), self.limits)
        found = False
        skipped = False
        for document in documents:
            objects = list(split_objects(document, strict=False))
            skipped = skipped or not objects
            found = found or bool(objects)
            self.build.objects.extend(objects)
        if found:
            self.build.add_file(str(path))
        if skipped or not documents:
            self.build.ignored.append(str(path))
