"""Task function for Import ETIM tasks: the ETIM classification model from the ETIM API v2 (``workers.etim_worker``)."""

from pimtasks.task_function import task_function_handler
from pimtasks.wiring import etim_workers

handler = task_function_handler(etim_workers)
