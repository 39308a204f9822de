# Copyright (c) macfleet.apple_network contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# /// script
# dependencies = ["nox>=2025.02.09", "antsibull-nox>=1.10,<1.11"]
# ///

"""The collection's standard test sessions: `nox -l` lists them, `nox -s NAME` runs one.

antsibull-nox.toml configures docs-check, ansible-lint and build-import-check, and holds the ansible-core/Python
matrix (core_matrix). antsibull-nox's own ansible-test sessions run ansible-test with --docker; this machine kind has
no container engine, so the sanity-RELEASE and units-RELEASE sessions below run `ansible-test --local` in a venv of
the matrix's Python with the matrix's ansible-core, in a copy of the collection at
.../ansible_collections/macfleet/apple_network (the physical path ansible-test needs). ansible-test sanity still
bootstraps pip into the venvs it creates: hacking/bootstrap.sh provides that offline (TESTING.md).
"""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path

import nox

try:
    import antsibull_nox
except ImportError:
    print("You need to install antsibull-nox in the same Python environment as nox.")
    sys.exit(1)


antsibull_nox.load_antsibull_nox_toml()

REPO_ROOT = Path(__file__).resolve().parent
with open(REPO_ROOT / "antsibull-nox.toml", "rb") as config:
    CORE_MATRIX = tomllib.load(config)["core_matrix"]
UNITS_REQUIREMENTS = "tests/requirements-units.txt"


def collection_copy(session: nox.Session) -> str:
    """Copy the collection to the session's tmp/ansible_collections/macfleet/apple_network; return that path."""
    tmp = session.create_tmp()
    session.run("bash", str(REPO_ROOT / "hacking" / "collection-copy.sh"), tmp, external=True)
    return os.path.join(tmp, "ansible_collections", "macfleet", "apple_network")


def ansible_test(session: nox.Session, row: dict[str, str], *args: str) -> None:
    """Run ansible-test ARGS --local in a fresh copy of the collection, on the row's Python."""
    session.install(f"ansible-core=={row['ansible_core']}", "-r", UNITS_REQUIREMENTS)
    if args[0] == "sanity":
        session.run("python", str(REPO_ROOT / "hacking" / "get_pip_stand_in.py"), "--install")
    collection = collection_copy(session)
    env = {"ANSIBLE_NOCOLOR": "1", "PY_COLORS": "0"}
    with session.chdir(collection):
        session.run("ansible-test", *args, "--local", "--python", row["python"], "--color", "no", *session.posargs, env=env)


def add_core_sessions(row: dict[str, str]) -> None:
    """sanity-RELEASE and units-RELEASE for one row of core_matrix."""
    release = row["release"]

    @nox.session(name=f"sanity-{release}", python=row["python"], default=True)
    def sanity(session: nox.Session) -> None:
        ansible_test(session, row, "sanity", "-v")

    sanity.__doc__ = f"ansible-test sanity --local, every test, on ansible-core {release} (Python {row['python']})."

    @nox.session(name=f"units-{release}", python=row["python"], default=True)
    def units(session: nox.Session) -> None:
        ansible_test(session, row, "units")

    units.__doc__ = f"ansible-test units --local (tests/unit/) on ansible-core {release} (Python {row['python']})."


for matrix_row in CORE_MATRIX:
    add_core_sessions(matrix_row)


# Allow to run the noxfile with `python noxfile.py`, `pipx run noxfile.py`, or similar.
if __name__ == "__main__":
    nox.main()
