"""Evacuees' own reports of needs from their phones: unverified until confirmed."""
