"""The ``hotline`` commands, one module per section of docs/hotline.md (click).

Each command is thin: it reads its options, calls the service modules of
``tipsite.hotline`` and prints what they return.

- ``options``  options several commands share, each declared once
- ``keys``     keygen, keys, passwd, fingerprint, token, lock
- ``intake``   pull from the site, import a copied inbox
- ``triage``   list, show, done, note, purge
- ``reply``    reply to a tipster
- ``export``   JSON, CSV and HTML exports
- ``users``    the desk's staff accounts: user add, remove, list (docs/desk.md)
- ``desk``     serve the staff desk in a browser (docs/desk.md)
"""
