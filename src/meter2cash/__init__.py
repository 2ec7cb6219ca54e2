"""Meter2Cash: meter-to-cash (抄核收) for electricity supply bureaus."""

__version__ = "0.1.0"
