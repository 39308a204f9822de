"""Stand-in for ansible-test's get-pip download: installs pip from a wheel beside this file."""
import glob
import os
import sys

WHEEL = glob.glob(os.path.join(os.path.dirname(os.path.abspath(__file__)), "pip-24.2-py3-none-any.whl"))[0]
sys.path.insert(0, WHEEL)
ARGS = [a for a in sys.argv[1:] if a not in ("--no-setuptools", "--no-wheel")]

from pip._internal.cli.main import main  # noqa: E402

sys.exit(main(["install", "--no-cache-dir"] + ARGS))
