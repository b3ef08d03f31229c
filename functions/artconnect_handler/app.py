"""Task function for Art-Connect tasks (invoices import, article and user exports).

Their work is not built yet: runs end `failed` with "not available yet".
"""

from pimtasks.task_function import task_function_handler

handler = task_function_handler()
