"""Widgets only: they call services and listen to their signals."""
