"""``python -m pimtasks_local``: run the local stack in the foreground (see ``pimtasks_local.stack``)."""

import sys

from pimtasks_local.stack import main

if __name__ == "__main__":
    sys.exit(main())
