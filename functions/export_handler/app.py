"""Task function for Export, Feed and Export Artikelbeheer.nl tasks.

Export writes catalog files (``pimtasks.services.catalog_export``); Feed builds a new feed version
(``pimtasks.workers.feed_worker``); Export Artikelbeheer.nl writes an ETIM xChange file the same way and uploads
it by HTTPS or SFTP (``pimtasks.services.artikelbeheer_export``). The workers per type are wired in
``pimtasks.wiring.export_workers``.
"""

from pimtasks.task_function import task_function_handler
from pimtasks.wiring import export_workers

handler = task_function_handler(export_workers)
