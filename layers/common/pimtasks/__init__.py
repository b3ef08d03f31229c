"""pimtasks: the shared library of the periodic-tasks engine (deployed as a Lambda layer).

Layers, top to bottom (imports only ever point downwards):
  - ``pimtasks.services``  business logic; never imports boto3
  - ``pimtasks.adapters``  the only code that talks to AWS or HTTP; takes injectable clients
  - ``pimtasks.domain``    pydantic models and pure rules (no I/O)
Everything shared by several of these (settings, errors, observability) sits at the package top level.
"""
