"""Task function for Export, Feed and Export Artikelbeheer.nl tasks: Export writes catalog files; Feed and
Export Artikelbeheer.nl runs end "not available yet"."""

from pimtasks.task_function import task_function_handler
from pimtasks.wiring import export_workers

handler = task_function_handler(export_workers)
