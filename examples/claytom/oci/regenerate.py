"""Regenerate the example's OCI image layout (DEMO ONLY): tiny images for every service image
of the example estate, cosign-style key signatures and CycloneDX SBOM attestations made with the
demo key beside this script, and the estate's pinned digests updated to match.

    .venv/bin/python examples/claytom/oci/regenerate.py

The demo key's private half is committed ON PURPOSE so anyone can rebuild the layout: it proves
nothing about real images and must never be trusted outside this example.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from seccli.core.imageref import parse_image_ref
from seccli.supplychain.keys import generate_key_pair, load_private_key
from seccli.supplychain.oci_layout import OciLayoutClient, push_tiny_image
from seccli.supplychain.signing import attest_image, sign_image

HERE = Path(__file__).resolve().parent
ESTATE = HERE.parent / "estate.yaml"
LAYOUT = HERE / "layout"
KEY, PUB = HERE / "demo-only.key", HERE / "demo-only.pub"
IMAGE_LINE = re.compile(r"^(\s*image: )(\S+?):([^:@\s]+)@(sha256:[0-9a-f]{64})\s*$")


def main() -> None:
    if not KEY.exists():
        private, public = generate_key_pair()
        KEY.write_bytes(private)
        PUB.write_bytes(public)
    key = load_private_key(KEY)
    shutil.rmtree(LAYOUT, ignore_errors=True)
    client = OciLayoutClient(LAYOUT, create=True)
    lines = ESTATE.read_text().splitlines(keepends=True)
    digests: dict[str, str] = {}
    for number, line in enumerate(lines):
        match = IMAGE_LINE.match(line)
        if match is None:
            continue
        name, tag = match[2], match[3]
        if f"{name}:{tag}" not in digests:
            note = f"seccli demo-only image {name}:{tag}\n".encode()
            digest = push_tiny_image(client, name, tag, note)
            ref = parse_image_ref(f"{name}:{tag}@{digest}")
            sign_image(client, ref, key)
            sbom = {
                "bomFormat": "CycloneDX",
                "specVersion": "1.6",
                "version": 1,
                "metadata": {"component": {"type": "container", "name": name, "version": tag}},
                "components": [],
            }
            attest_image(client, ref, key, sbom, "https://cyclonedx.org/bom")
            digests[f"{name}:{tag}"] = digest
        lines[number] = f"{match[1]}{name}:{tag}@{digests[f'{name}:{tag}']}\n"
    ESTATE.write_text("".join(lines))
    print(f"{len(digests)} images written to {LAYOUT}")


if __name__ == "__main__":
    main()
