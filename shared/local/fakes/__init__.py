"""Loopback fakes of external HTTP APIs for the local runtime and tests (never shipped to Lambda)."""

from .providers import ProviderFakes
from .state import FakeCredentials

__all__ = ["FakeCredentials", "ProviderFakes"]
