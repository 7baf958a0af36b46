"""jsdesk.packages: signed update packages (``.jspkg``) with forms and reference data.

``archive`` builds and verifies a package file, ``publishers`` says whose packages
are accepted, ``install`` previews, installs and logs one. What installed packages
provide is read by :mod:`jsdesk.installed`. See docs/packages.md.
"""
