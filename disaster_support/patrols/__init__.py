"""Patrol rounds: which places to visit, by which team, in which order; visits."""
