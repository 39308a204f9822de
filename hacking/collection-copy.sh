#!/usr/bin/env bash
# Copies the collection (tracked and untracked, not ignored files) to DEST/ansible_collections/macfleet/apple_network.
# ansible-test needs that physical path; a symlink is not enough.
set -euo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
dest=$1/ansible_collections/macfleet/apple_network
rm -rf "$dest"
mkdir -p "$dest"
(cd "$repo_root" && git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - 2>/dev/null) | tar -xf - -C "$dest"
