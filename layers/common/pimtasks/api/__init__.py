"""The REST API: request/response models, error mapping, routes, and the resolver that ties them together.

``pimtasks.api.app.resolver`` is what ``functions/api_handler`` serves and what the OpenAPI document is
generated from (``make openapi``).
"""
