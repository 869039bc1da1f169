"""kvtable's version, in a module of its own that imports nothing: the transport's User-Agent and the
telemetry's scope read it without importing the package's front (`kvtable.connect`)."""

__version__ = "0.2.0"
