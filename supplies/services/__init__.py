"""Writes of the supplies area, one module per use case: rounds and orders."""
