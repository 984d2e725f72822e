"""Shared test settings."""

from hypothesis import settings

# CI runs the same generated examples every time, so a red run means a change broke something, not that the
# dice found an old bug; run with --hypothesis-profile=explore to search afresh (and file what it finds).
settings.register_profile("ci", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile("ci")
