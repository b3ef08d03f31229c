"""Task function for Export, Feed and Export Artikelbeheer.nl tasks.

Feed runs build a new feed version (``pimtasks.workers.feed_worker``); Export and Export Artikelbeheer.nl
runs end `failed` with "not available yet" until their workers are wired in ``pimtasks.wiring.export_workers``.
"""

from pimtasks.task_function import task_function_handler
from pimtasks.wiring import export_workers

handler = task_function_handler(export_workers)
