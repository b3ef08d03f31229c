"""Task function for Magento tasks: push changed products to a Magento 2 / Adobe Commerce shop."""

from pimtasks.task_function import task_function_handler
from pimtasks.wiring import magento_workers

handler = task_function_handler(magento_workers)
