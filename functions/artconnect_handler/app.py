"""Task function for Art-Connect tasks: import invoices from the hub and post changed articles to it (the users
export is not built yet: its runs end `failed` with "not available yet")."""

from pimtasks.task_function import task_function_handler
from pimtasks.wiring import artconnect_workers

handler = task_function_handler(artconnect_workers)
