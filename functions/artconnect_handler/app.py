"""Task function for Art-Connect tasks: import invoices from the hub (the article and user exports are not
built yet: their runs end `failed` with "not available yet")."""

from pimtasks.task_function import task_function_handler
from pimtasks.wiring import artconnect_workers

handler = task_function_handler(artconnect_workers)
