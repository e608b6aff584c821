#!/usr/bin/python3
"""What the reference says about request bodies, for Berth's differential tests.

Reads JSON lines on stdin and writes one JSON line per input line:

  (default)  {"schema": ..., "instance": ...} -> the reference's validation message
             (str() of the error jsonschema.validate raises, newlines as spaces) or null
  --json     {"text": "..."} or {"bytes": [..]} -> the message of the ValueError the reference's
             body parser (oslo jsonutils.loads: strict UTF-8, then json.loads) raises, or null
  --schemas  (no input) -> one line: {"module.NAME": schema} for every request schema the
             reference defines, keys in the reference's order (best_match keeps the first of
             equally relevant errors, so the order decides which of several errors is reported)
  --probe    exits 0 when the modules the reference uses can be imported

Run it with /usr/bin/python3 (the interpreter the reference is installed for).
"""
import json
import sys


def load_validator():
    import jsonschema

    try:
        # The reference registers its own 'uuid' format check when placement.util is imported;
        # importing it gives exactly the reference's checker set.
        import placement.util  # noqa: F401
    except ImportError:
        from oslo_utils import uuidutils

        jsonschema.FormatChecker.cls_checks("uuid")(uuidutils.is_uuid_like)

    # The steps of jsonschema.validate(instance, schema, format_checker=FormatChecker()), with the
    # schema itself checked once per schema rather than once per instance (the slow part).
    checked = {}

    def message(schema, instance):
        key = json.dumps(schema)
        cls = checked.get(key)
        if cls is None:
            cls = jsonschema.validators.validator_for(schema)
            cls.check_schema(schema)
            checked[key] = cls
        validator = cls(schema, format_checker=jsonschema.FormatChecker())
        error = jsonschema.exceptions.best_match(validator.iter_errors(instance))
        return None if error is None else str(error).replace("\n", " ")

    return message


def json_message(case):
    try:
        from oslo_serialization import jsonutils

        loads = jsonutils.loads
    except ImportError:
        loads = lambda data: json.loads(data.decode("utf-8") if isinstance(data, bytes) else data)  # noqa: E731
    data = bytes(case["bytes"]) if "bytes" in case else case["text"]
    try:
        loads(data)
    except ValueError as exc:
        return str(exc)
    return None


def reference_schemas():
    import importlib
    import pkgutil

    import placement.schemas

    found = {}
    for info in pkgutil.iter_modules(placement.schemas.__path__):
        module = importlib.import_module("placement.schemas." + info.name)
        for name, value in vars(module).items():
            if name.isupper() and isinstance(value, dict) and "type" in value:
                found[info.name + "." + name] = value
    return found


def main(argv):
    if "--probe" in argv:
        load_validator()
        return 0
    if "--schemas" in argv:
        sys.stdout.write(json.dumps(reference_schemas()) + "\n")
        return 0
    if "--json" in argv:
        answer = json_message
    else:
        message = load_validator()
        answer = lambda case: message(case["schema"], case["instance"])  # noqa: E731
    out = sys.stdout
    for line in sys.stdin:
        if line.strip():
            out.write(json.dumps(answer(json.loads(line))) + "\n")
    out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
