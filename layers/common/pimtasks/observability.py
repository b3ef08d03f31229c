"""The one Logger/Tracer/Metrics setup every function uses (STYLE §6).

Log key-value pairs, never rows of customer data. Service name and namespace come from the standard
Powertools variables (POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE) set in the template.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger()
tracer = Tracer()
metrics = Metrics()
