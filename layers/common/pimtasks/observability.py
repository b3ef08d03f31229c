"""The one Logger/Tracer/Metrics setup every function uses (STYLE §6).

Log key-value pairs, never rows of customer data. The service name comes from POWERTOOLS_SERVICE_NAME (set
per function in the template); the metrics namespace is the product's and fixed here, so it does not depend on
when this module was first imported.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

METRICS_NAMESPACE = "Pimtasks"

logger = Logger()
tracer = Tracer()
metrics = Metrics(namespace=METRICS_NAMESPACE)
