"""Platform: settings, database and unit of work, clock, money, periods, audit trail, auth, i18n.

The platform knows no business area; every area builds on it.
"""
