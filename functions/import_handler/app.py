"""Task function for Import tasks. Their work is not built yet: runs end `failed` with "not available yet"."""

from pimtasks.task_function import task_function_handler

handler = task_function_handler()
