"""After `jug schedule`: read the results from the jugdir with jug's API.

Usage: python results.py JUGFILE JUGDIR; prints ``RESULT <json>``."""

import json
import sys

import jug

if __name__ == "__main__":
    store, space = jug.init(sys.argv[1], sys.argv[2])
    squares = [jug.value(task) for task in space["squares"]]
    total = jug.value(space["result"])
    print("RESULT " + json.dumps({"squares": squares, "total": total}), flush=True)
