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
# Configured before the install, so ansible-galaxy does not warn that the path is not a collections path.
export ANSIBLE_COLLECTIONS_PATH="$install_root/collections"
ansible-galaxy collection install "$tarball" -p "$install_root/collections" --force
installed="$install_root/collections/ansible_collections/macfleet/apple_network"
ansible-galaxy collection verify --offline macfleet.apple_network -p "$install_root/collections"

# Every plugin and role of the installed copy must have a page (ansible-doc lists what it can load).
for plugin_type in lookup filter test module role; do
  names=$(ansible-doc -t "$plugin_type" -l macfleet.apple_network --json \
    | python -c 'import json, sys; print("\n".join(sorted(json.load(sys.stdin))))')
  [ -n "$names" ] || { echo "no $plugin_type plugins listed"; exit 1; }
  for name in $names; do
    ansible-doc -t "$plugin_type" "$name" >/dev/null
    echo "ansible-doc ok: $plugin_type $name"
  done
done
expected_modules=$(find "$installed/plugins/modules" -name '[a-z]*.py' | wc -l)
listed_modules=$(ansible-doc -t module -l macfleet.apple_network --json | python -c 'import json, sys; print(len(json.load(sys.stdin)))')
[ "$expected_modules" -eq "$listed_modules" ] || { echo "ansible-doc lists $listed_modules of $expected_modules modules"; exit 1; }

ANSIBLE_LOCALHOST_WARNING=0 ansible-playbook -i localhost, -c local "$here/site.yml"

# Every example of the installed copy (plugins' EXAMPLES, README.md, the guides) runs as written or carries a marker
# that says why not; ansible-doc renders every plugin and role without broken markup. Counts in example-counts.json.
MACFLEET_INSTALLED_COLLECTION="$installed" MACFLEET_EXAMPLE_COUNTS="$install_root/example-counts.json" \
  python -m pytest -p no:cacheprovider -q -s "$installed/tests/installed/test_doc_examples.py"

# The installed main job: probes (offline here: DNS failures), artifacts and the report.
ANSIBLE_LOCALHOST_WARNING=0 ANSIBLE_PYTHON_INTERPRETER="$(command -v python)" \
  ansible-playbook -i localhost, -c local macfleet.apple_network.readiness \
  -e "macfleet_readiness_output_dir=$install_root/readiness" -e macfleet_readiness_timeout=5
for artifact in readiness.html readiness.json readiness.csv results/localhost.json artifacts/apple-bypass.pac \
    artifacts/macos-bypass-list.txt artifacts/apple-egress.nft artifacts/apple-proxy.mobileconfig; do
  [ -s "$install_root/readiness/$artifact" ] || { echo "the installed readiness playbook did not write $artifact"; exit 1; }
done
echo "installed readiness playbook wrote every artifact"
