"""Pushing catalog products to a Magento 2 / Adobe Commerce shop (task type ``magento``, manual §3.5).

- ``errors``: Magento's ``{message, parameters}`` errors as readable text, and the errors the push raises.
- ``oauth1``: OAuth 1.0a request signing (integrations without ``enable_integration_as_bearer``).
- ``client``: the HTTP adapter of the admin REST API: log-in (Bearer, OAuth 1.0a, admin token), bounded
  backoff for 429/5xx, the product, bulk and operation-status endpoints.
- ``mapping``: catalog product -> Magento payloads per scope (global values, one payload per store view).
- ``operations``: what the operation statuses of a bulk say about each SKU.
- ``state``: what the push remembers between runs (accepted payload hashes, open bulks, SKUs to send again).
- ``push``: the push itself (selection, chunks, polling, report), driven by ``workers.magento_worker``.
"""
