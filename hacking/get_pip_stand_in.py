"""Stand-in for ansible-test's get-pip download: installs pip from a wheel beside this file.

ansible-test bootstraps pip into each venv it creates by running ~/.ansible/test/cache/get_pip_X_Y.py, which it
would otherwise download from ci-files.testing.ansible.com (ansible-core 2.19 asks for pip 24.2, 2.20 and 2.21 for
pip 25.2). hacking/bootstrap.sh copies this file to get_pip_X_Y.py for every pip release the tested ansible-test
releases ask for, next to pip-X.Y-py3-none-any.whl downloaded from PyPI; the release is read from the file name.
"""
import os
import re
import sys

NAME = re.match(r"get_pip_(\d+(?:_\d+)*)\.py$", os.path.basename(__file__))
if not NAME:
    sys.exit("get-pip stand-in: cannot tell the pip release from the file name %s" % __file__)
VERSION = NAME.group(1).replace("_", ".")
WHEEL = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pip-%s-py3-none-any.whl" % VERSION)
if not os.path.exists(WHEEL):
    sys.exit("get-pip stand-in: %s is missing (hacking/bootstrap.sh downloads it)" % WHEEL)
sys.path.insert(0, WHEEL)
ARGS = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]

from pip._internal.cli.main import main  # noqa: E402  pylint: disable=wrong-import-position

sys.exit(main(["install", "--no-cache-dir"] + ARGS))
