"""Accounts, organisations, roles, authentication, the access policy and the audit log.

Who may see and change what is decided in one place, :mod:`regia.auth.policy`; every route declares the
action and resource it needs there, and a test checks that no route goes undeclared.
"""
