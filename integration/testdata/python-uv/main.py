"""Prints the versions it runs with: the tests compare them to uv.lock."""

import importlib.metadata as md
import json

import idna
import markupsafe

print(json.dumps({
    "idna": md.version("idna"),
    "markupsafe": md.version("markupsafe"),
    "speedups": markupsafe.escape.__module__ == "markupsafe._speedups",
    "encoded": idna.encode("bücher.example").decode(),
}))
