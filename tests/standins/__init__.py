"""Local stand-ins for Telegram's and Twilio's HTTP APIs (see server.py)."""
