"""The reference for the INI differential test: what Python 3.11's ConfigParser makes of a file.

usage: configparser_oracle.py FILE ENV_JSON
Prints JSON: {"sections": [names in order], "values": {section: {key: value | {"error": class}}}}
or {"error": class} when reading fails. ENV_JSON plays the part of the environment the original passes
as defaults; its keys are left out of the listing (sgeventd never lists the environment).
"""
import configparser
import json
import sys

path, env = sys.argv[1], json.loads(sys.argv[2])
parser = configparser.ConfigParser(defaults=env)
env_keys = {parser.optionxform(k) for k in env}
try:
    with open(path, encoding="utf-8") as f:
        parser.read_file(f, source=path)
except configparser.Error as e:
    print(json.dumps({"error": type(e).__name__}))
    sys.exit(0)


def read(section, keys):
    out = {}
    for key in keys:
        if key in env_keys:
            continue
        try:
            out[key] = parser.get(section, key)
        except configparser.Error as e:
            out[key] = {"error": type(e).__name__}
    return out


values = {"DEFAULT": read("DEFAULT", parser.defaults().keys())}
for section in parser.sections():
    values[section] = read(section, parser.options(section))
print(json.dumps({"sections": parser.sections(), "values": values}, ensure_ascii=False))
