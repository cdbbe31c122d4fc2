"""The app's settings with the benchmark commands and the trivial view installed
(`manage.py --settings=bench.settings`)."""

from config.settings import *  # noqa: F403
from config.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
ROOT_URLCONF = "bench.urls"
