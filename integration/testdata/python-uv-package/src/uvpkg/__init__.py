"""A packaged uv project: its console script runs from /venv."""

GREETING = "hello from an installed package"
