"""The alert engine and its outputs: claim clusters and alerts, the ``alerts`` topic, the
``/v1/alerts`` and ``/v1/clusters`` endpoints and the Server-Sent Events stream.

Consumes the enriched items the sink receives; emits rows of the ``alerts`` table, which the
publisher, the SSE stream and the webhook outbox read in ``seq`` order.
"""
