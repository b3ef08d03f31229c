"""Task function for Export, Feed and Export Artikelbeheer.nl tasks.

Export writes catalog files (``pimtasks.services.catalog_export``); Feed builds a new feed version
(``pimtasks.workers.feed_worker``); Export Artikelbeheer.nl runs end "not available yet". The workers per type
are wired in ``pimtasks.wiring.export_workers``.
"""

from pimtasks.task_function import task_function_handler
from pimtasks.wiring import export_workers

handler = task_function_handler(export_workers)
