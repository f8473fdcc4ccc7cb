"""
The accounts app's pages, by job: ``account`` (signing up and in, the profile,
screening, clearance, deletion, privacy), ``progress`` (completed sessions and
saving a guided run as one) and ``export`` (the downloads).
"""
