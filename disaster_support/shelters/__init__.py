"""Shelters: the registry, its import from open data, and its pages."""
