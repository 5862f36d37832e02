"""Drills: the same tool on a database of its own, a scenario's timed injects, and
an after-action report that shows where the response was slow."""
