"""The local FTPS gateway: explicit FTPS backed by the emulator's S3, one environment per user.

``start_ftps_gateway`` starts it in a background thread (the local stack runs it on 127.0.0.1:2121);
``python -m pimtasks_local.ftps_gateway`` runs it on its own against an emulator or AWS endpoint.
"""

from pimtasks_local.ftps_gateway.server import FtpsGateway, GatewayOptions, start_ftps_gateway

__all__ = ["FtpsGateway", "GatewayOptions", "start_ftps_gateway"]
