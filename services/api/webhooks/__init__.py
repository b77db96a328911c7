"""Webhooks: signed, retried delivery of alerts to subscribers, through a durable outbox.

``signing`` builds bodies and Standard Webhooks headers, ``schedule`` the retry waits,
``filters`` decides who gets which alert, ``sender`` makes one guarded POST, ``dispatcher``
runs fan-out and the delivery worker, ``routes`` is the HTTP API, ``metrics`` the counters.
"""
