"""Train and query Rasa models for ``haki nlu eval``. Runs in .venv-rasa (Python 3.10).

Kept apart from the ``nlu`` package on purpose: it imports rasa, which the main venv
does not have, and nothing from ``nlu`` (its dependencies are not in .venv-rasa).

Input: a JSON file {"config", "domain", "work_dir", "output", "jobs": [{"name", "train",
"texts"}]} where "train" is a Rasa NLU YAML file. Output: the JSON file "output" with, per
job, the ranking of every text, parse latencies, training time and model size. (Not on
stdout: Rasa prints there too, and a chatty pipe nobody reads deadlocks both processes.)
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import time

os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main(job_file: str) -> None:
    logging.disable(logging.WARNING)
    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu

    spec = json.loads(open(job_file, encoding="utf-8").read())
    loop = asyncio.new_event_loop()
    results = []
    for job in spec["jobs"]:
        started = time.perf_counter()
        model = train_nlu(
            config=spec["config"],
            nlu_data=job["train"],
            output=spec["work_dir"],
            fixed_model_name=job["name"],
            domain=spec["domain"],
        )
        train_seconds = time.perf_counter() - started
        agent = Agent.load(model)
        rankings, latencies = [], []
        for text in job["texts"]:
            t0 = time.perf_counter()
            parsed = loop.run_until_complete(agent.parse_message(text))
            latencies.append(time.perf_counter() - t0)
            ranking = parsed.get("intent_ranking") or [parsed.get("intent") or {}]
            rankings.append([[str(r.get("name")), float(r.get("confidence") or 0.0)] for r in ranking])
        results.append(
            {
                "name": job["name"],
                "train_seconds": train_seconds,
                "model_bytes": os.path.getsize(model),
                "rankings": rankings,
                "latencies": latencies,
            }
        )
        print(f"rasa job {job['name']}: trained in {train_seconds:.0f}s", file=sys.stderr, flush=True)
    with open(spec["output"], "w", encoding="utf-8") as handle:
        json.dump({"jobs": results}, handle)


if __name__ == "__main__":
    main(sys.argv[1])
