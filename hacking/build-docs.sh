#!/usr/bin/env bash
# Builds the collection's documentation site (antsibull-docs + Sphinx) offline; any warning fails the build.
#   bash hacking/build-docs.sh [DEST_DIR]       HTML ends up in DEST_DIR/build/html (default: a temporary dir)
# Offline changes to the generated Sphinx project (see test-infrastructure.md §5): intersphinx is off, and
# the labels antsibull-docs links into docs.ansible.com get local stand-in targets, so -W stays strict
# for everything else (a broken reference in a guide still fails the build).
set -euo pipefail
collection_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
collections_path=$(cd "$collection_root/../../.." && pwd)
dest=${1:-$(mktemp -d /tmp/macfleet-docs.XXXXXX)}
export ANSIBLE_COLLECTIONS_PATH=$collections_path

rm -rf "$dest" && mkdir -p "$dest" && chmod 755 "$dest"
antsibull-docs sphinx-init --use-current --squash-hierarchy --dest-dir "$dest" macfleet.apple_network >/dev/null
cat >> "$dest/conf.py" <<'PY'

# Offline build (hacking/build-docs.sh): no inventories are fetched.
intersphinx_mapping = {}
PY
cd "$dest"
mkdir -p rst && chmod og-w rst
antsibull-docs --config-file antsibull-docs.cfg collection --cleanup everything --use-current \
  --squash-hierarchy --dest-dir rst macfleet.apple_network
cat > rst/offline_targets.rst <<'RST'
:orphan:

Links into the Ansible documentation
====================================

This offline build does not fetch the Ansible documentation's inventory; these targets stand in for it.

.. _ansible_configuration_settings:

Ansible configuration settings
------------------------------

See https://docs.ansible.com/ansible/latest/reference_appendices/config.html.

.. _common_return_values:

Common return values
--------------------

See https://docs.ansible.com/ansible/latest/reference_appendices/common_return_values.html.

.. _action_plugins:

Action plugins
--------------

See https://docs.ansible.com/ansible/latest/plugins/action.html.
RST
# References to other collections' plugins (ansible.builtin.query, ...) point into docs.ansible.com;
# give each such label a local target (plain :ref: labels, and the labels :ansopt:/:ansretval: refer to).
python3 - rst <<'PY'
import pathlib, re, sys
root = pathlib.Path(sys.argv[1])
own = "ansible_collections.macfleet.apple_network."
labels = set()
for path in root.rglob("*.rst"):
    text = path.read_text()
    labels.update(re.findall(r"<(ansible_collections\.[a-z0-9_]+\.[a-z0-9_]+\.[^>]+)>", text))
    # Option names come escaped as RST (destination\_ports): the backslashes are not part of the label.
    for kind, fqcn, ptype, name in re.findall(r":ans(opt|retval):`([a-z0-9_]+\.[a-z0-9_]+\.[a-z0-9_]+)#([a-z_]+):([A-Za-z0-9_.\\\[\]]+)", text):
        name = re.sub(r"\[[^]]*\]", "", name.replace("\\", "").split("=")[0]).replace(".", "/")
        labels.add("ansible_collections.%s_%s__%s-%s" % (fqcn, ptype, "parameter" if kind == "opt" else "return", name))
labels = sorted(label for label in labels if not label.startswith(own))
if labels:
    with open(root / "offline_targets.rst", "a") as out:
        out.write("\nOther collections\n-----------------\n\n")
        for label in labels:
            out.write(".. _%s:\n\n``%s``: see https://docs.ansible.com/ansible/latest/collections/\n\n" % (label, label))
PY
# The guides include the example playbooks as they are (literalinclude /playbooks/examples/...), so the text shown
# is the one the system tests run.
mkdir -p rst/playbooks && cp -r "$collection_root/playbooks/examples" rst/playbooks/
sphinx-build -M html rst build -c . -W --keep-going -q
rm -f "$HOME/antsibull.log" antsibull.log
echo "docs site: $dest/build/html/index.html"
