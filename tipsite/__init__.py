"""Tipsite: an anonymous tip channel that seals every tip to the centre's public key.

Four parts, one subpackage each:

- ``core``     the sealed formats and the spool both sides share; imports neither
               Flask nor click
- ``site``     the public web site (Flask), which holds only the centre's public key
- ``hotline``  the staff tool, which holds the private key and never imports the
               site: a service layer without click, and the command line over it
- ``desk``     the staff desk (Flask, for staff only): the staff tool's service layer
               in a browser, started by ``hotline desk``; never imports the site

The rules are checked by import-linter in ``make test`` (``[tool.importlinter]`` in
pyproject.toml); each
subpackage's docstring maps its modules, and tests/test_layout.py keeps those maps and
the README's module table equal to the tree.

This file imports nothing, so that ``import tipsite.core.envelope`` stays Flask-free.
"""
