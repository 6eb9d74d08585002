"""The core: what the site and the staff tool share. Imports neither Flask nor click.

- ``errors``       the one exception hierarchy
- ``keys``         key files, fingerprints and key ids
- ``envelope``     the sealed envelope format (padding, SealedBox, version, key id)
- ``payload``      the documents inside envelopes: tips, follow-ups, replies
- ``attachments``  a tip and its photos in one sealed envelope (the container format)
- ``vocabulary``   kinds of place, signs (indicators) and relations, with stable ids
- ``inbox``        the Maildir-style spool the site writes and the staff read
- ``sanitise``     typed text to plain text (bleach)
- ``receipt``      receipt codes: lookup id and reply key derived with Argon2id
- ``durable``      writes that a crash leaves whole or absent (temp, fsync, rename)
- ``protocol``     the staff API's paths and limits, which both sides share
"""
