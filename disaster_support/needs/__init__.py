"""Needs of foreign evacuees: recording, lifecycle, queue and situation."""
