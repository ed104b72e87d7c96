"""Writes of medical errands, one module per use case."""
