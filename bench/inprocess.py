"""CPU per SMS webhook with no server and no socket: the floor under bench/webhooks.py.

    .venv/bin/python bench/inprocess.py                 # 1500 messages, best of 4 runs
    .venv/bin/python bench/inprocess.py --messages 3000 --runs 6

Builds the real app on a fresh SQLite database with the embedded NLU and posts signed
Twilio forms (the same texts as bench/webhooks.py) through Flask's test client, one at a
time, in this process. Reported: CPU milliseconds per message (process time, so another
tenant on the host matters less than for wall time) and the wall-clock rate. The smallest of
several runs is the figure: noise only ever adds time.
"""

from __future__ import annotations

import argparse
import itertools
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PUBLIC_URL = "https://bench.haki.example"
TOKEN = secrets.token_hex(16)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=1500)
    parser.add_argument("--runs", type=int, default=4)
    args = parser.parse_args()

    folder = tempfile.mkdtemp(prefix="haki-bench-inprocess-")
    url = f"sqlite:///{folder}/haki.db"
    os.environ.update({
        "HAKI_SECRET_KEY": secrets.token_urlsafe(48),
        "HAKI_ENCRYPTION_KEYS": "q2xGQ1Q3d3J0b0p3cm1XZ1ZQbW1Ec2F3d0c4eFZ0bVk=",
        "HAKI_ENVIRONMENT": "development", "HAKI_DATABASE_URL": url,
        "HAKI_PUBLIC_URL": PUBLIC_URL, "HAKI_TWILIO_AUTH_TOKEN": TOKEN,
        "HAKI_NLU_BACKEND": "embedded", "HAKI_SANDBOX": "0", "HAKI_REDIS_URL": "",
        "HAKI_RATE_LIMIT_MESSAGES": "100000", "HAKI_LOG_LEVEL": "WARNING",
    })
    from twilio.request_validator import RequestValidator

    from bench.webhooks import TEXTS
    from bot.storage.migrate import upgrade
    from webhooks.app import build_app

    upgrade(url)
    client = build_app().test_client()
    validator = RequestValidator(TOKEN)
    texts = itertools.cycle(TEXTS)
    serials = itertools.count()

    def forms(count: int) -> list[tuple[dict[str, str], str]]:
        made = []
        for _ in range(count):
            serial = next(serials)
            form = {"MessageSid": f"SM{serial:032x}", "SmsSid": f"SM{serial:032x}",
                    "AccountSid": "AC" + "0" * 32, "From": f"+2782{serial % 400:07d}",
                    "To": "+27820009999", "Body": next(texts), "NumMedia": "0",
                    "NumSegments": "1", "SmsStatus": "received", "ApiVersion": "2010-04-01",
                    "FromCountry": "ZA", "FromCity": "", "ToCountry": "ZA"}
            made.append((form, validator.compute_signature(PUBLIC_URL + "/webhooks/twilio/sms", form)))
        return made

    def run(batch: list[tuple[dict[str, str], str]]) -> tuple[float, float]:
        cpu, wall = time.process_time(), time.perf_counter()
        for form, signature in batch:
            response = client.post("/webhooks/twilio/sms", data=form,
                                   headers={"X-Twilio-Signature": signature})
            assert response.status_code == 200
        return time.process_time() - cpu, time.perf_counter() - wall

    run(forms(50))  # warm-up: model loaded, statements cached
    results = [run(forms(args.messages)) for _ in range(args.runs)]
    cpu, wall = min(results)
    print(f"{args.messages} SMS webhooks in-process, best of {args.runs}: "
          f"{1000 * cpu / args.messages:.2f} ms CPU per message, "
          f"{args.messages / wall:.0f} messages/s on one thread")


if __name__ == "__main__":
    main()
