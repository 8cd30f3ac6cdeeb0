"""The engine's version, reported in every result so a screening can be reproduced."""

__version__ = "0.1.0"
