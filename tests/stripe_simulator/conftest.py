"""The simulator, its webhook receiver, an SDK client and a small catalog, for every test here."""

from .test_simulator import catalog, client, receiver, sim  # noqa: F401 (fixtures)
