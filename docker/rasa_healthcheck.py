"""Rasa container health: the server answers /status and has a model loaded. Exit 0 or 1."""

import json
import os
import sys
import urllib.request

PORT = os.environ.get("RASA_PORT", "5005")

try:
    with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/status", timeout=4) as response:
        status = json.load(response)
    sys.exit(0 if response.status == 200 and status.get("model_file") else 1)
except Exception as error:  # unreachable, slow, not JSON: unhealthy
    print(f"rasa: {type(error).__name__}", file=sys.stderr)
    sys.exit(1)
