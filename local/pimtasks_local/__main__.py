"""``python -m pimtasks_local``: run the local stack in the foreground (see ``pimtasks_local.stack``)."""

import logging
import os
import sys

from pimtasks_local.stack import main

if __name__ == "__main__":
    code = main()
    # By now the stack has stopped and saved what it keeps. The emulator's state of a long session is
    # millions of Python objects (every catalog item), and freeing them one by one at interpreter exit
    # took half a minute after "local stack stopped": leave at once instead.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
