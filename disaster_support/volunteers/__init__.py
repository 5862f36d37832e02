"""Volunteers: the registry, the matching engine and assignments."""
