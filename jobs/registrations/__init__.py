"""The registration records store: who registered which domain, as WHOIS, RDAP and bulk
files have told us, with every earlier version kept.

Fed by every WHOIS answer a job receives (``RegistrationRecorder``, visible to the job's
organization only) and by ``manage.py import_registrations`` (visible to everyone).
"""
