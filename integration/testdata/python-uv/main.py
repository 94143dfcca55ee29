"""Prints the versions it runs with: the tests compare them to uv.lock."""

import importlib.metadata as md
import json

import idna
from markupsafe import _speedups  # a compiled extension

print(json.dumps({
    "idna": md.version("idna"),
    "markupsafe": md.version("markupsafe"),
    "speedups": _speedups.__file__,
    "encoded": idna.encode("bücher.example").decode(),
}))
