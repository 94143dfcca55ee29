"""Prints the versions it runs with: the tests compare them to poetry.lock."""

import importlib.metadata as md
import json

import certifi
import yaml

print(json.dumps({
    "certifi": md.version("certifi"),
    "pyyaml": md.version("pyyaml"),
    # PyYAML's LibYAML bindings: a compiled extension.
    "libyaml": yaml.__with_libyaml__,
    "ca_bundle": certifi.where(),
}))
