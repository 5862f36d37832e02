"""Accounts: users and roles, shelter devices, API tokens, sign-in, access rules."""
