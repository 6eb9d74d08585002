"""The public web site (Flask). Holds the centre's public key only; never imports the staff tool.

- ``config``       TIPSITE_* variables, checked at start-up, read with ``site_config()``
- ``app``          the application factory and start-up refusals
- ``lang``         the language in the URL
- ``web``          the tip form, the pages, error pages
- ``followup``     the tipster's follow-up pages (receipt code, replies, more details)
- ``delivery``     seal a tip or follow-up to the centre's key and store it durably
- ``forms``        the form definitions (field names are a contract)
- ``photos``       photos cleaned of all but their pixels (decoded, re-encoded)
- ``photolimits``  TIPSITE_PHOTO_* settings: how many photos, how large
- ``uploads``      uploaded photos held in memory, never in a temporary file
- ``headers``      privacy and safety headers on every response
- ``limits``       rate limits on keyed, rotating hashes of the address
- ``replay``       one form token, one tip, across workers
- ``replies``      the server's box of replies sealed to tipsters' reply keys
- ``staff_api``    the staff API (off unless configured)
- ``cli``          ``tipsite dev``, ``check`` and ``error-pages`` for operators
- ``audit``        the checks behind ``tipsite check``
- ``errorpages``   the deploy kit's static error pages, written from the configuration
- ``gunicornlog``  gunicorn logging without client addresses
- ``nginxlog``     nginx's error log without client addresses (a syslog relay)
"""
