#!/usr/bin/env bash
# Builds the execution-environment context (and, with a container engine, the image).
#   bash hacking/build-ee.sh [CONTEXT_DIR]          -> ansible-builder create (no container engine needed)
#   EE_TAG=macfleet-apple-network-ee:0.1.0 bash hacking/build-ee.sh   -> ansible-builder build
set -euo pipefail
collection_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
context=${1:-$collection_root/context}
cd "$collection_root"
mkdir -p dist
build_dir=$(mktemp -d /tmp/macfleet-ee.XXXXXX)
trap 'rm -rf "$build_dir"' EXIT
ansible-galaxy collection build "$collection_root" --output-path "$build_dir" --force >/dev/null
cp "$build_dir"/macfleet-apple_network-*.tar.gz dist/macfleet-apple_network.tar.gz
if [ -n "${EE_TAG:-}" ]; then
  ansible-builder build -f execution-environment.yml --context "$context" -t "$EE_TAG"
else
  ansible-builder create -f execution-environment.yml --context "$context"
fi
