#!/usr/bin/env bash
# Installs everything the tests and the main job need on a fresh Debian machine.
# Idempotent: a second run only checks. Sourcing it exports MACFLEET_VENV and PATH.
#   . hacking/bootstrap.sh full      every test tool and every Python of the ansible-core matrix (hacking/test-all.sh)
#   . hacking/bootstrap.sh bench     the main venv and the stock-Mac interpreter (hacking/bench.sh)
#   . hacking/bootstrap.sh minimal   what the main job needs (hacking/readiness.sh)
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache_root=${MACFLEET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/macfleet-apple_network}
pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
mode=${1:-full}
matrix_pythons_on_path=""

# The ansible-core releases CI tests, each with its controller Python and exact release: the table core_matrix in
# antsibull-nox.toml, the only place that states them (noxfile.py makes the sanity and units sessions from it). Rows
# "RELEASE PYTHON VERSION", oldest first; the last row is the newest release: the main venv (MACFLEET_VENV) holds it
# with every tool, and nox, integration, the docs site, the installed tarball, the system tests, the benchmarks and
# the main job run on it.
read_core_matrix() {
  env -u PYTHONPATH -u PYTHONHOME python3 - "$repo_root/antsibull-nox.toml" <<'PY'
import sys, tomllib
with open(sys.argv[1], "rb") as config:
    for row in tomllib.load(config)["core_matrix"]:
        print(row["release"], row["python"], row["ansible_core"])
PY
}
if ! core_matrix_text=$(read_core_matrix) || [ -z "$core_matrix_text" ]; then
  echo "bootstrap: ERROR: cannot read core_matrix from $repo_root/antsibull-nox.toml (python3 3.11 or later reads it)" >&2
  if [ "${BASH_SOURCE[0]}" != "$0" ]; then return 1; fi
  exit 1
fi
mapfile -t core_matrix <<<"$core_matrix_text"
read -r newest_core newest_python newest_core_version <<<"${core_matrix[${#core_matrix[@]}-1]}"

# openssh-server: the stock-Mac system tests start their own sshd per namespace (no service is enabled for them).
# firewalld, ufw: the firewall system tests run them in namespaces of their own (tests/system/firewall/isolated.py);
# python3-firewall (a dependency of firewalld, named for the firewalld example playbook's ansible.posix.firewalld,
# which imports it with /usr/bin/python3).
# nginx-light: the feeds system tests serve feed sets with it on loopback in a namespace, own config and pid file.
apt_packages=(nftables iptables dnsmasq squid-openssl shellcheck libplist-utils iproute2 openssl chromium openssh-server
  firewalld python3-firewall ufw nginx-light)

install_apt() {
  local missing=()
  for pkg in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "bootstrap: installing Debian packages: ${missing[*]}"
    # No package may start its service here (firewalld, ufw, sshd would filter or listen on this machine): a
    # policy-rc.d that forbids every start, for the install only, unless the machine already has one.
    local policy=/usr/sbin/policy-rc.d own_policy=""
    if [ ! -e "$policy" ]; then
      printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && own_policy=yes || return 1
    fi
    local rc=0
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null; } || rc=1
    if [ -n "$own_policy" ]; then rm -f "$policy"; fi
    return $rc
  fi
}

# find_python X.Y: the newest pyenv build of Python X.Y, else a pythonX.Y on PATH that runs (pyenv's shims print an
# error for versions that are not selected). Prints nothing when there is none.
find_python() {
  local version=$1 candidate
  candidate=$(printf '%s\n' "$pyenv_root"/versions/"$version".*/bin/python"$version" | sort -V | while read -r path; do
    if [ -x "$path" ]; then echo "$path"; fi
  done | tail -n 1)
  if [ -z "$candidate" ]; then
    candidate=$(command -v "python$version" || true)
  fi
  if [ -n "$candidate" ] && env -u PYTHONPATH -u PYTHONHOME "$candidate" -c \
      "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '$version'.split('.'))))" >/dev/null 2>&1; then
    echo "$candidate"
  fi
}

pyenv_command() {
  if command -v pyenv >/dev/null 2>&1; then command -v pyenv
  elif [ -x "$pyenv_root/bin/pyenv" ]; then echo "$pyenv_root/bin/pyenv"
  fi
}

# require_python X.Y WHAT: find_python, else `pyenv install X.Y`; fails loudly (naming WHAT needs it) when neither works.
require_python() {
  local version=$1 what=$2 python pyenv_bin
  python=$(find_python "$version")
  if [ -z "$python" ]; then
    pyenv_bin=$(pyenv_command)
    if [ -z "$pyenv_bin" ]; then
      echo "bootstrap: ERROR: Python $version is missing ($what needs it): found no $pyenv_root/versions/$version.*/bin/python$version," \
        "no python$version on PATH, and no pyenv to install it. Install pyenv, or put python$version on PATH." >&2
      return 1
    fi
    echo "bootstrap: installing Python $version with $pyenv_bin ($what needs it)" >&2
    "$pyenv_bin" install -s "$version" >&2 || true
    python=$(find_python "$version")
    if [ -z "$python" ]; then
      echo "bootstrap: ERROR: Python $version is missing ($what needs it): '$pyenv_bin install $version' did not provide" \
        "$pyenv_root/versions/$version.*/bin/python$version" >&2
      return 1
    fi
  fi
  echo "$python"
}

# The digest of a requirements file, the files it includes with -r, and the extra packages named after it.
requirements_digest() {
  local file=$1 dir included
  shift
  dir=$(dirname "$file")
  {
    cat "$file"
    sed -n 's/^-r[[:space:]]*//p' "$file" | while read -r included; do cat "$dir/$included"; done
    printf '%s\n' "$@"
  } | sha256sum | cut -c1-16
}

# install_venv VENV PYTHON REQUIREMENTS [PACKAGE...]: a venv of that Python (re-created if it holds another Python)
# with the pinned requirements and packages (re-installed when they change).
install_venv() {
  local venv=$1 python=$2 requirements=$3 want have stamp
  shift 3
  want=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])') || return 1
  have=$("$venv/bin/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true)
  if [ "$have" != "$want" ]; then
    [ -z "$have" ] || echo "bootstrap: re-creating $venv with Python $want (it had Python $have)"
    rm -rf "$venv"
    mkdir -p "$(dirname "$venv")" || return 1
    "$python" -m venv "$venv" || return 1
  fi
  stamp="$venv/.requirements-$(requirements_digest "$requirements" "$@")"
  if [ ! -e "$stamp" ]; then
    "$venv/bin/pip" install -q -U pip || return 1
    "$venv/bin/pip" install -q -r "$requirements" "$@" || return 1
    touch "$stamp"
  fi
}

# install_matrix_pythons: every Python of core_matrix, as pythonX.Y in $python_links (put on PATH after the main
# venv, so nox finds them; pyenv's shims print an error for versions that are not selected).
python_links=$cache_root/pythons
install_matrix_pythons() {
  local row release version python
  mkdir -p "$python_links" || return 1
  for row in "${core_matrix[@]}"; do
    read -r release version _ <<<"$row"
    python=$(require_python "$version" "ansible-core $release") || return 1
    ln -sfn "$python" "$python_links/python$version" || return 1
  done
}

# mitmproxy (the intercepting proxy of the endpoint_probe system tests) gets its own venv: in the main venv it
# would downgrade cryptography and ruamel.yaml. It stays on Python 3.11: 11.0.2 is the last release for it.
mitmproxy_venv=${MACFLEET_MITMPROXY_VENV:-$cache_root/mitmproxy-venv}
install_mitmproxy_venv() {
  local python
  python=$(require_python 3.11 mitmproxy) || return 1
  install_venv "$mitmproxy_venv" "$python" "$repo_root/tests/requirements-mitmproxy.txt"
}

# The community `ansible` package of ansible-core 2.19 (ansible.posix, community.general): the firewall guide's
# example playbooks run with it in the system tests, and ansible-lint resolves their modules from its collections.
ansible_package_venv=${MACFLEET_ANSIBLE12_VENV:-$cache_root/venv-ansible12-py3.11}
install_ansible_package_venv() {
  local python
  python=$(require_python 3.11 "the community ansible 12 package") || return 1
  install_venv "$ansible_package_venv" "$python" "$repo_root/tests/requirements-ansible12.txt" || return 1
  MACFLEET_ANSIBLE12_VENV=$ansible_package_venv
}

# The "stock Mac" interpreter of the SSH system tests (tests/system/fleet/stock_macs.py): Python 3.9, as Apple's
# Command Line Tools ship it, with no third-party packages. pyenv's build is used (installed with pyenv when missing);
# MACFLEET_STOCK_PYTHON, when set, names another one. It must not be able to import dnspython or cryptography.
install_stock_python() {
  local python=${MACFLEET_STOCK_PYTHON:-} module
  if [ -z "$python" ]; then
    python=$(printf '%s\n' "$pyenv_root"/versions/3.9.*/bin/python3.9 | sort -V | while read -r path; do
      if [ -x "$path" ]; then echo "$path"; fi
    done | tail -n 1)
  fi
  if [ -z "$python" ]; then
    python=$(require_python 3.9 "the stock-Mac SSH tests (or set MACFLEET_STOCK_PYTHON to a Python 3.9 without third-party packages)") || return 1
  fi
  if ! env -u PYTHONPATH -u PYTHONHOME "$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 9))'; then
    echo "bootstrap: ERROR: the stock-Mac interpreter $python is not Python 3.9 (or does not run)" >&2
    return 1
  fi
  for module in dns cryptography; do
    if env -u PYTHONPATH -u PYTHONHOME "$python" -c "import $module" >/dev/null 2>&1; then
      echo "bootstrap: ERROR: the stock-Mac interpreter $python can import '$module'; a stock Mac has no third-party" \
        "packages. Use a Python 3.9 without site packages (set MACFLEET_STOCK_PYTHON)." >&2
      return 1
    fi
  done
  MACFLEET_STOCK_PYTHON=$python
}

# The main venv: the newest ansible-core's Python. The main job alone (minimal) falls back to the machine's python3
# (3.11 or later: ansible-core 2.19, also tested) rather than building Python with pyenv.
select_main_venv() {
  main_python=$(find_python "$newest_python")
  if [ -z "$main_python" ] && [ "$mode" = minimal ] && python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
    main_python=$(command -v python3)
    echo "bootstrap: no Python $newest_python found; the main job runs on $main_python (ansible-core 2.19 on Python 3.11)"
  fi
  if [ -z "$main_python" ]; then
    main_python=$(require_python "$newest_python" "ansible-core $newest_core, the main venv") || return 1
  fi
  main_python_version=$("$main_python" -c 'import sys; print("%d.%d" % sys.version_info[:2])') || return 1
  MACFLEET_VENV=${MACFLEET_VENV:-$cache_root/venv-py$main_python_version}
}

# Every step is checked here: errexit does not apply in a script sourced as `. bootstrap.sh || ...`.
bootstrap_mode() {
  select_main_venv || return 1
  case $mode in
    full|bench)
      if [ "$(id -u)" = 0 ]; then install_apt || return 1; else echo "bootstrap: not root, skipping apt packages"; fi
      install_venv "$MACFLEET_VENV" "$main_python" "$repo_root/tests/requirements-ci.txt" \
        "ansible-core==$newest_core_version" || return 1
      if [ "$mode" = full ]; then
        install_matrix_pythons || return 1
        matrix_pythons_on_path=yes
        install_mitmproxy_venv || return 1
        export MACFLEET_MITMDUMP="$mitmproxy_venv/bin/mitmdump"
        install_ansible_package_venv || return 1
        export MACFLEET_ANSIBLE12_VENV
      fi
      install_stock_python || return 1
      export MACFLEET_STOCK_PYTHON
      if [ "$mode" = bench ]; then
        # The firewall benchmark's ansible.posix.firewalld loop.
        install_ansible_package_venv || return 1
        # The fleet-events benchmark's intercepting proxy (tests/system/fleet/fleet_macs.py).
        install_mitmproxy_venv || return 1
        export MACFLEET_MITMDUMP="$mitmproxy_venv/bin/mitmdump"
        export MACFLEET_ANSIBLE12_VENV
      fi
      ;;
    minimal)
      install_venv "$MACFLEET_VENV" "$main_python" "$repo_root/requirements.txt" || return 1
      ;;
    *)
      echo "bootstrap: unknown mode '$mode' (full, bench or minimal)" >&2
      return 1
      ;;
  esac
}

if ! bootstrap_mode; then
  echo "bootstrap: FAILED ($mode)" >&2
  if [ "${BASH_SOURCE[0]}" != "$0" ]; then return 1; fi
  exit 1
fi
export MACFLEET_VENV
export PATH="$MACFLEET_VENV/bin:${matrix_pythons_on_path:+$python_links:}$PATH"
