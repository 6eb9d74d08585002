"""Tipsite: an anonymous tip channel that seals every tip to the centre's public key.

The package is split so that the staff tool never needs the web side.

The core, shared by site and staff tool (imports neither Flask nor click):

- ``errors``       one exception hierarchy for everything below
- ``keys``         key files, fingerprints and key ids
- ``envelope``     the sealed envelope format (padding, SealedBox, version, key id)
- ``payload``      the documents inside envelopes: tips, follow-ups, replies
- ``vocabulary``   settings, signs (indicators) and relations, with stable ids
- ``inbox``        the Maildir-style spool the site writes and the staff read
- ``sanitise``     typed text to plain text (bleach)
- ``receipt``      receipt codes: lookup id and reply key derived with Argon2id
- ``replies``      the server's box of replies sealed to tipsters' reply keys

The site (Flask):

- ``config``       TIPSITE_* settings, checked at start-up
- ``app``          the application factory and start-up refusals
- ``lang``         the language in the URL
- ``web``          the tip form, the pages, error pages
- ``followup``     the tipster's follow-up pages (receipt code, replies, more details)
- ``forms``        the form definitions (field names are a contract)
- ``headers``      privacy and safety headers on every response
- ``limits``       rate limits on keyed, rotating hashes of the address
- ``staff_api``    the staff API (off unless configured)
- ``cli``, ``audit``  ``tipsite dev`` and ``tipsite check`` for operators
- ``gunicornlog``  gunicorn logging without client addresses

The staff tool ``hotline`` (click, never Flask):

- ``hotline``      the command line
- ``store``, ``keyring``   the sealed local store and the staff's keys
- ``reader``       opening envelopes from a store or a copied inbox
- ``conversation`` a tip with its follow-ups and replies
- ``pull``, ``outbox``     talking to the staff API: pulling tips, sending replies
- ``exports``      JSON, CSV and HTML exports
- ``terminal``, ``screen``, ``shortid``   safe terminal output, layout, short ids
- ``prompt``, ``editor``   questions at the terminal; a reply's draft that never outlives it
- ``agent``        the key agent: unlock once per working session (``hotline lock``)
- ``private``      folders and files only their owner may open (store, keys, token)

This file imports nothing, so that ``import tipsite.envelope`` stays Flask-free.
"""
