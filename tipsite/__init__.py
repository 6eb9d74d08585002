"""Tipsite: an anonymous tip channel that seals every tip to the centre's public key.

The package is split so that the staff tool never needs the web side:

- ``errors``      one exception hierarchy for everything below
- ``keys``        key files: the public key the site holds, the passphrase-locked
                  private key the staff hold, fingerprints and key ids
- ``envelope``    the sealed envelope format (padding, SealedBox, version, key id)
- ``payload``     the tip document inside an envelope (JSON, schema version)
- ``indicators``  the signs of trafficking a tipster can tick, with stable ids
- ``inbox``       the Maildir-style spool the site writes and the staff read
- ``app``, ``web``, ``forms``, ``config``   the Flask site (imports Flask)
- ``hotline``     the staff command-line tool (imports click, never Flask)

This file imports nothing, so that ``import tipsite.envelope`` stays Flask-free.
"""
