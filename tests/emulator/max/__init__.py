"""The MAX Bot API emulator (tests/emulator/max/server.py) and its update builders."""

from tests.emulator.max.server import Delivery, MaxEmulator, MaxSent

__all__ = ["Delivery", "MaxEmulator", "MaxSent"]
