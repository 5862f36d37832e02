"""The audit log: who did what, when, before → after, for every write."""
