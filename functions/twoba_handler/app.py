"""Task function for Import 2BA tasks: product and trade-item data of one or more suppliers from the data pool."""

from pimtasks.task_function import task_function_handler
from pimtasks.wiring import twoba_workers

handler = task_function_handler(twoba_workers)
