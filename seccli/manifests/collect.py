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
  folder;
- in a loose folder, ``--exclude`` globs and ``.gitignore``/``.seccliignore`` files leave
  paths out, ``.git`` is never walked, and a file that is not a Kubernetes manifest (a Helm
  template, JSON with comments, YAML without objects) is skipped with a reason
  (``Build.skipped``); with ``WalkOptions.helm`` a chart folder is rendered by ``helm
  template`` instead (``seccli.manifests.walk``, ``seccli.manifests.helm``). Files named
  explicitly and files a kustomization lists stay strict.

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
from seccli.manifests.walk import (
    NO_OBJECTS,
    IgnoreRules,
    SkippedFile,
    WalkOptions,
    is_manifest_object,
    leaves_out,
    unparsable_reason,
)

MANIFEST_SUFFIXES = (".yaml", ".yml", ".json")


def collect_documents(
    paths: Sequence[Path],
    *,
    limits: LoadLimits | None = None,
    root: Path | None = None,
    parser: Parser | None = None,
    options: WalkOptions | None = None,
) -> Build:
    """Every object that ``paths`` deploy, with the files that made the build.

    ``root`` bounds kustomize references and followed links (default: each folder named, or
    the folder of each file named); ``options`` say what a folder walk leaves out. Errors
    (``InputError``, exit 2) name the file and line.
    """
    limits = limits or LoadLimits()
    parse = parser or parse_safely
    build = Build()
    collector = _Collector(build, limits, parse, options or WalkOptions())
    for path in paths:
        collector.collect(path, root)
    return build


def manifest_files(paths: Sequence[Path], *, limits: LoadLimits | None = None) -> list[str]:
    """The files a collection of ``paths`` reads (manifests, kustomizations, patches)."""
    return collect_documents(paths, limits=limits).files


class _Collector:
    def __init__(
        self, build: Build, limits: LoadLimits, parser: Parser, options: WalkOptions
    ) -> None:
        self.build = build
        self.limits = limits
        self.parser = parser
        self.options = options
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
            rules = self.rules_for(path, "", IgnoreRules())
            self.directory(path, Path(os.path.realpath(root or path)), path, rules)
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

    def rules_for(self, folder: Path, relative: str, rules: IgnoreRules) -> IgnoreRules:
        return rules.with_folder(folder, relative) if self.options.ignore_files else rules

    def directory(self, directory: Path, root: Path, top: Path, rules: IgnoreRules) -> None:
        if find_kustomization(directory) is not None:
            self.kustomize(directory, root)
            return
        real = Path(os.path.realpath(directory))
        if real in self.seen_dirs:
            return
        self.seen_dirs.add(real)
        if self.options.helm:
            from seccli.manifests.helm import is_chart

            if is_chart(directory):
                self.chart(directory)
                return
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            raise InputError(f"{directory}: cannot list: {exc.strerror}") from None
        for entry in entries:
            path = directory / entry.name
            relative = path.relative_to(top).as_posix()
            if leaves_out(relative, entry.is_dir(), self.options, rules):
                continue
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
                self.directory(path, root, top, self.rules_for(path, relative, rules))
            elif entry.name.endswith(MANIFEST_SUFFIXES):
                self.file(path, mode, walked=True)

    def chart(self, directory: Path) -> None:
        from seccli.manifests.helm import render_chart

        rendered = render_chart(directory)
        for document in self.parser(rendered, f"{directory} (helm template)", self.limits):
            self.build.objects.extend(split_objects(document, strict=False))
        self.build.add_file(f"{directory} (helm template)")

    def file(self, path: Path, mode: int, *, walked: bool = False) -> None:
        if not stat.S_ISREG(mode):
            raise InputError(f"{path}: not a regular file (a FIFO, device or socket)")
        real = Path(os.path.realpath(path))
        if real in self.seen_files:
            return
        self.seen_files.add(real)
        text = read_source(path, self.limits)
        try:
            documents = self.parser(text, str(path), self.limits)
        except InputError:
            reason = unparsable_reason(text, path.name) if walked else None
            if reason is None:
                raise
            self.build.skipped.append(SkippedFile(str(path), reason))
            return
        if walked and not any(is_manifest_object(d.data) for d in documents):
            self.build.skipped.append(SkippedFile(str(path), NO_OBJECTS))
            self.build.ignored.append(str(path))
            return
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
