"""Audit hook loaded into every Python process whose PYTHONPATH includes this folder.

It appends one JSON line per socket connect and name lookup to the file named by
``SGL_NET_AUDIT_LOG``, with the process id, so a test can check what a whole process tree
(the flow run and Prefect's ephemeral server, a child process) tried to reach.
"""

import json
import os
import sys

_LOG = os.environ.get("SGL_NET_AUDIT_LOG")


def _record(event, args):
    if event == "socket.connect":
        address = args[1]
        detail = list(address) if isinstance(address, tuple) else str(address)
    elif event == "socket.getaddrinfo":
        detail = [args[0], args[1]]
    else:
        return
    line = json.dumps({"pid": os.getpid(), "event": event, "address": detail}, default=str)
    with open(_LOG, "a", encoding="utf-8") as handle:
        handle.write(line + "\n")


if _LOG:
    with open(_LOG, "a", encoding="utf-8") as handle:
        handle.write(json.dumps({"pid": os.getpid(), "event": "start", "argv": sys.argv[:3]})
                     + "\n")
    sys.addaudithook(_record)
