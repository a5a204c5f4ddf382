"""CPU per SMS webhook with no server and no socket: the floor under bench/webhooks.py.

    .venv/bin/python bench/inprocess.py                 # 1500 messages, best of 4 runs
    .venv/bin/python bench/inprocess.py --messages 3000 --runs 6

Builds the real app on a fresh SQLite database with the embedded NLU and posts signed
Twilio forms (the same forms, texts and settings as bench/webhooks.py) through Flask's test client, one at a
time, in this process. Reported: CPU milliseconds per message (process time, so another
tenant on the host matters less than for wall time) and the wall-clock rate. The smallest of
several runs is the figure: noise only ever adds time.
"""

from __future__ import annotations

import argparse
import itertools
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=1500)
    parser.add_argument("--runs", type=int, default=4)
    args = parser.parse_args()

    from bench.webhooks import SMS_PATH, TEXTS, haki_environment, signed_sms_form

    folder = tempfile.mkdtemp(prefix="haki-bench-inprocess-")
    url = f"sqlite:///{folder}/haki.db"
    os.environ.update(haki_environment(url))
    from bot.storage.migrate import upgrade
    from webhooks.app import build_app

    upgrade(url)
    client = build_app().test_client()
    texts = itertools.cycle(TEXTS)
    serials = itertools.count()

    def forms(count: int) -> list[tuple[dict[str, str], str]]:
        return [signed_sms_form(serial % 400, serial, next(texts))
                for serial in itertools.islice(serials, count)]

    def run(batch: list[tuple[dict[str, str], str]]) -> tuple[float, float]:
        cpu, wall = time.process_time(), time.perf_counter()
        for form, signature in batch:
            response = client.post(SMS_PATH, data=form,
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
