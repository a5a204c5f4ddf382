"""`make run` on a fresh machine writes a development .env: every secret must be filled.

Issue 13, item 17: the recipe printed a SyntaxError (backslash-escaped quotes inside a
single-quoted python -c) and left HAKI_TELEGRAM_SECRET empty, so every Telegram webhook
got 403. The recipe runs here in a scratch directory, exactly as make runs it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Telegram allows 1-256 characters of A-Z, a-z, 0-9, _ and - in secret_token.
TELEGRAM_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def test_make_env_writes_every_secret_without_errors(tmp_path: Path) -> None:
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    done = subprocess.run(["make", "--no-print-directory", ".env"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "Error" not in done.stderr and "Traceback" not in done.stderr, done.stderr
    values = dict(line.split("=", 1) for line in
                  (tmp_path / ".env").read_text(encoding="utf-8").splitlines() if "=" in line)
    for name in ("HAKI_SECRET_KEY", "HAKI_ENCRYPTION_KEYS", "HAKI_TELEGRAM_SECRET",
                 "HAKI_TWILIO_AUTH_TOKEN"):
        assert values.get(name), f"{name} is empty in the written .env"
    assert TELEGRAM_SECRET.match(values["HAKI_TELEGRAM_SECRET"])
