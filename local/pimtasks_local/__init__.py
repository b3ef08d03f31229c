"""The local stack: ``infra/template.yaml`` run on one machine, without an AWS account or Docker.

``python -m pimtasks_local`` (``make run``) starts moto in server mode, provisions the template into it,
hosts the template's Lambda functions in-process, serves the REST API and the Lambda Invoke API, fires
EventBridge Scheduler schedules, polls the DynamoDB streams and SQS queues the functions subscribe to,
and seeds a demo environment. ``pimtasks`` (``pimtasks_local.cli``) is the command line client.
"""
