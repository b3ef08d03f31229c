"""Task function for Import tasks, and AutoImport: upload events from the uploads queue start import runs."""

from pimtasks.import_function import import_function_handler
from pimtasks.wiring import import_workers

handler = import_function_handler(import_workers)
