"""The Avito API emulator (tests/emulator/avito/server.py) and its event builders."""

from tests.emulator.avito.server import AvitoEmulator, AvitoSent, Delivery

__all__ = ["AvitoEmulator", "AvitoSent", "Delivery"]
