#!/usr/bin/env bash
# Installs everything the tests and the main job need on a fresh Debian machine.
# Idempotent: a second run only checks. Sourcing it exports MACFLEET_VENV and PATH.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cache_root=${MACFLEET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/macfleet-apple_network}
venv=${MACFLEET_VENV:-$cache_root/venv}
mode=${1:-full}   # full: every test tool; minimal: what the main job needs

# openssh-server: the stock-Mac system tests start their own sshd per namespace (no service is enabled for them).
apt_packages=(nftables iptables dnsmasq squid-openssl shellcheck libplist-utils iproute2 openssl chromium openssh-server)

install_apt() {
  local missing=()
  for pkg in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "bootstrap: installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

install_venv() {
  local requirements=$1 stamp
  mkdir -p "$cache_root"
  [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
  stamp="$venv/.requirements-$(sha256sum "$requirements" | cut -c1-16)"
  if [ ! -e "$stamp" ]; then
    "$venv/bin/pip" install -q -U pip
    "$venv/bin/pip" install -q -r "$requirements"
    touch "$stamp"
  fi
}

# ansible-test bootstraps pip into its sanity venvs from a file it would download;
# this stand-in installs the same pip release from PyPI instead (see docs: TESTING.md).
install_get_pip_stand_in() {
  local cache="$HOME/.ansible/test/cache"
  mkdir -p "$cache"
  if ! ls "$cache"/pip-24.2-py3-none-any.whl >/dev/null 2>&1; then
    "$venv/bin/pip" download -q --no-deps --only-binary=:all: pip==24.2 -d "$cache"
  fi
  cp "$repo_root/hacking/get_pip_stand_in.py" "$cache/get_pip_24_2.py"
}

# mitmproxy (the intercepting proxy of the endpoint_probe system tests) gets its own venv: in the main venv it
# would downgrade cryptography and ruamel.yaml. 11.0.2 is the last release for Python 3.11.
mitmproxy_venv=${MACFLEET_MITMPROXY_VENV:-$cache_root/mitmproxy-venv}
install_mitmproxy_venv() {
  [ -x "$mitmproxy_venv/bin/python" ] || python3 -m venv "$mitmproxy_venv"
  if [ ! -x "$mitmproxy_venv/bin/mitmdump" ]; then
    "$mitmproxy_venv/bin/pip" install -q -U pip
    "$mitmproxy_venv/bin/pip" install -q mitmproxy==11.0.2
  fi
}

# The "stock Mac" interpreter of the SSH system tests (tests/system/fleet/stock_macs.py): Python 3.9, as Apple's
# Command Line Tools ship it, with no third-party packages. pyenv's build is used (installed with pyenv when missing);
# MACFLEET_STOCK_PYTHON, when set, names another one. It must not be able to import dnspython or cryptography.
find_stock_python() {
  local pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
  printf '%s\n' "$pyenv_root"/versions/3.9.*/bin/python3.9 | sort -V | while read -r candidate; do
    if [ -x "$candidate" ]; then echo "$candidate"; fi
  done | tail -n 1
}

install_stock_python() {
  local python=${MACFLEET_STOCK_PYTHON:-} pyenv_bin module
  if [ -z "$python" ]; then
    python=$(find_stock_python)
  fi
  if [ -z "$python" ]; then
    pyenv_bin=$(command -v pyenv || true)
    if [ -z "$pyenv_bin" ] && [ -x "${PYENV_ROOT:-$HOME/.pyenv}/bin/pyenv" ]; then
      pyenv_bin=${PYENV_ROOT:-$HOME/.pyenv}/bin/pyenv
    fi
    if [ -z "$pyenv_bin" ]; then
      echo "bootstrap: ERROR: no Python 3.9 for the stock-Mac SSH tests: found no ${PYENV_ROOT:-$HOME/.pyenv}/versions/3.9.*/bin/python3.9" \
        "and no pyenv to install one. Install pyenv, or set MACFLEET_STOCK_PYTHON to a Python 3.9 without third-party packages." >&2
      return 1
    fi
    echo "bootstrap: installing Python 3.9 with $pyenv_bin (the stock-Mac interpreter)"
    "$pyenv_bin" install -s 3.9
    python=$(find_stock_python)
    if [ -z "$python" ]; then
      echo "bootstrap: ERROR: '$pyenv_bin install 3.9' finished but no ${PYENV_ROOT:-$HOME/.pyenv}/versions/3.9.*/bin/python3.9 exists" >&2
      return 1
    fi
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

if [ "$mode" = full ]; then
  if [ "$(id -u)" = 0 ]; then install_apt; else echo "bootstrap: not root, skipping apt packages"; fi
  install_venv "$repo_root/tests/requirements-ci.txt"
  install_get_pip_stand_in
  install_mitmproxy_venv
  export MACFLEET_MITMDUMP="$mitmproxy_venv/bin/mitmdump"
  install_stock_python
  export MACFLEET_STOCK_PYTHON
else
  install_venv "$repo_root/requirements.txt"
fi
export MACFLEET_VENV=$venv
export PATH="$venv/bin:$PATH"
