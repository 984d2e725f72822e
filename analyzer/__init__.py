"""logrca's analysis: template mining, anomaly scoring, change correlation, and the command line."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("logrca")
except PackageNotFoundError:  # running from a source checkout that was never installed
    __version__ = "0.1.0+source"
