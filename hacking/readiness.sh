#!/usr/bin/env bash
# The main job: a readiness run on localhost with the bundled catalog.
# Installs a minimal venv, builds and installs this collection, runs macfleet.apple_network.readiness.
#   bash hacking/readiness.sh [extra ansible-playbook arguments]
set -euo pipefail
repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=hacking/bootstrap.sh
. "$repo_root/hacking/bootstrap.sh" minimal
output_dir=${MACFLEET_OUTPUT_DIR:-$repo_root/readiness-output}
build_dir=$(mktemp -d /tmp/macfleet-readiness.XXXXXX)
trap 'rm -rf "$build_dir"' EXIT

# ansible-core imports DSA key types for its ssh-agent support; cryptography 51 and later warn on that import
# (CryptographyDeprecationWarning: DSA is deprecated), once per ansible command. That warning and only it is silenced:
# the message, its category's base class and the one module of ansible-core that raises it.
export PYTHONWARNINGS="ignore:DSA is deprecated:UserWarning:ansible._internal._ssh._ssh_agent${PYTHONWARNINGS:+,$PYTHONWARNINGS}"

bash "$repo_root/hacking/collection-copy.sh" "$build_dir/src"
# The scratch path is the configured collections path before the install, so ansible-galaxy does not warn that it is not.
export ANSIBLE_COLLECTIONS_PATH="$build_dir/collections"
ansible-galaxy collection build "$build_dir/src/ansible_collections/macfleet/apple_network" \
  --output-path "$build_dir/dist" --force >/dev/null
ansible-galaxy collection install "$build_dir"/dist/macfleet-apple_network-*.tar.gz \
  -p "$build_dir/collections" --force >/dev/null
# The probe module runs on localhost with the venv's Python, which has dnspython and cryptography.
export ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_PYTHON_INTERPRETER="$MACFLEET_VENV/bin/python"
ansible-playbook -i localhost, -c local macfleet.apple_network.readiness \
  -e "macfleet_readiness_output_dir=$output_dir" "$@"
