#!/usr/bin/env bash
# Builds the collection tarball, installs it into a fresh path and uses the *installed* copy:
# ansible-doc for every plugin, then a playbook that exercises the lookups, filters and tests.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
collection_root=$(cd "$here/../.." && pwd)
install_root=${1:?usage: run.sh INSTALL_DIR}
rm -rf "$install_root" && mkdir -p "$install_root/dist"

ansible-galaxy collection build "$collection_root" --output-path "$install_root/dist" --force
tarball=$(ls "$install_root"/dist/macfleet-apple_network-*.tar.gz)
ansible-galaxy collection install "$tarball" -p "$install_root/collections" --force
export ANSIBLE_COLLECTIONS_PATH="$install_root/collections"
installed="$install_root/collections/ansible_collections/macfleet/apple_network"
ansible-galaxy collection verify --offline macfleet.apple_network -p "$install_root/collections"

# Nothing that build_ignore drops may be needed: the installed copy has no tests/ helpers of ours.
for type_dir in lookup filter test modules; do
  [ -d "$installed/plugins/$type_dir" ] || continue
  plugin_type=${type_dir%s}
  for plugin in "$installed/plugins/$type_dir"/*.py; do
    name=$(basename "$plugin" .py)
    [ "$name" = __init__ ] && continue
    [ "$type_dir" = filter ] || [ "$type_dir" = test ] && [ -f "$installed/plugins/$type_dir/$name.yml" ] && continue
    ansible-doc -t "$plugin_type" "macfleet.apple_network.$name" >/dev/null
    echo "ansible-doc ok: $plugin_type macfleet.apple_network.$name"
  done
done
for role in "$installed"/roles/*/; do
  [ -d "$role" ] || continue
  ansible-doc -t role "macfleet.apple_network.$(basename "$role")" >/dev/null
  echo "ansible-doc ok: role macfleet.apple_network.$(basename "$role")"
done

ANSIBLE_LOCALHOST_WARNING=0 ansible-playbook -i localhost, -c local "$here/site.yml"
