"""Stand-in for ansible-test's get-pip download: installs pip from a wheel beside this file.

ansible-test bootstraps pip into each venv it creates (sanity) by running ~/.ansible/test/cache/get_pip_X_Y.py, which
it would otherwise download from ci-files.testing.ansible.com. Two uses:

  python hacking/get_pip_stand_in.py --install
      run with the Python of a venv that holds ansible-core (noxfile.py's sanity sessions, hacking/test-all.sh): asks
      that ansible-test which pip release it bootstraps (ansible-core 2.19: 24.2, 2.20 and 2.21: 25.2), downloads
      that pip wheel from PyPI into the cache and copies this file there as get_pip_X_Y.py.
  ~/.ansible/test/cache/get_pip_X_Y.py ARGS
      what ansible-test runs: installs pip X.Y from the wheel beside it (the release is read from the file name).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import types

CACHE = os.path.expanduser("~/.ansible/test/cache")


def bootstrap_pip(version: str) -> int:
    """Install pip VERSION into the running Python from the wheel beside this file."""
    wheel = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pip-%s-py3-none-any.whl" % version)
    if not os.path.exists(wheel):
        sys.exit("get-pip stand-in: %s is missing (python hacking/get_pip_stand_in.py --install downloads it)" % wheel)
    sys.path.insert(0, wheel)
    args = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]
    from pip._internal.cli.main import main  # pylint: disable=import-outside-toplevel

    return main(["install", "--no-cache-dir"] + args)


def install_stand_in() -> int:
    """Put this file and the pip wheel the running Python's ansible-test bootstraps into ansible-test's cache."""
    try:
        # ansible-test names the pip release only here (get_venv_packages); no public interface tells it.
        from ansible_test._internal.python_requirements import get_venv_packages  # pylint: disable=import-outside-toplevel
    except ImportError as error:
        sys.exit("get-pip stand-in: this Python's ansible-test does not say which pip it bootstraps (%s)" % error)
    version = get_venv_packages(types.SimpleNamespace(version="%d.%d" % sys.version_info[:2]))["pip"]
    os.makedirs(CACHE, exist_ok=True)
    if not os.path.exists(os.path.join(CACHE, "pip-%s-py3-none-any.whl" % version)):
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
                        "pip==%s" % version, "-d", CACHE], check=True)
    shutil.copyfile(os.path.abspath(__file__), os.path.join(CACHE, "get_pip_%s.py" % version.replace(".", "_")))
    print("get-pip stand-in for pip %s in %s" % (version, CACHE))
    return 0


def main() -> int:
    name = re.match(r"get_pip_(\d+(?:_\d+)*)\.py$", os.path.basename(__file__))
    if name:
        return bootstrap_pip(name.group(1).replace("_", "."))
    if sys.argv[1:] == ["--install"]:
        return install_stand_in()
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
