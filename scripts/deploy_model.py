#!/usr/bin/env python3
"""Registers a model version with a running model-ab service over HTTP.

    python3 scripts/deploy_model.py --type safety_classifier --model-path models/safety_classifier_v2.onnx --version v2.1.0

The Python counterpart of `npm run deploy-model` (same flags, output and exit codes): the seed's
`python deploy_model.py ...` step. Standard library only, Python >= 3.9. It only talks HTTP, so it
works against any instance the token is valid for. The artifact is streamed, not read into memory.

Exit codes: 0 registered; 1 the server refused (its status, code and message are printed) or could
not be reached; 2 bad arguments.
"""
import argparse
import http.client
import json
import os
import sys
import urllib.parse
import uuid

USAGE = """Usage: python3 scripts/deploy_model.py --type <model type> --model-path <file.onnx> --version <v1.2.3> [options]

Options:
  --type <name>         model type to add the version to (it must exist: POST /api/v1/models)
  --model-path <file>   the ONNX artifact
  --version <semver>    e.g. v2.0.0 or 1.4.0-rc.1
  --stage <stage>       initial stage: none (default), staging, production (archives the current one), archived
  --metadata <file>     JSON metadata (labels, featurizer, input_name, output_name, ...);
                        default: <model-path without .onnx>.meta.json when that file exists
  --format <format>     artifact format (default onnx)
  --url <url>           service URL (default $MODEL_AB_URL or http://127.0.0.1:3000)
  --token <jwt>         admin bearer token (default $MODEL_AB_TOKEN)
  --json                print the registered version as JSON
  -h, --help            this help

A token: the one the server prints at start, or: npm run -s token -- --sub you --role admin"""

CHUNK = 1024 * 1024


class UsageError(Exception):
    pass


class Parser(argparse.ArgumentParser):
    def error(self, message):
        raise UsageError(message)


def parse_options(argv, env):
    parser = Parser(add_help=False, allow_abbrev=False)
    parser.add_argument("--type")
    parser.add_argument("--model-path")
    parser.add_argument("--version")
    parser.add_argument("--stage")
    parser.add_argument("--metadata")
    parser.add_argument("--format", default="onnx")
    parser.add_argument("--url")
    parser.add_argument("--token")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("-h", "--help", action="store_true")
    values = parser.parse_args(argv)
    if values.help:
        return None
    missing = [f"--{name.replace('_', '-')}" for name in ("type", "model_path", "version") if not getattr(values, name)]
    if missing:
        raise UsageError(f"missing {', '.join(missing)}")
    token = values.token or env.get("MODEL_AB_TOKEN")
    if not token:
        raise UsageError("no token: pass --token or set MODEL_AB_TOKEN (npm run -s token -- --sub you --role admin)")
    metadata_path = values.metadata
    if not metadata_path:
        stem, _ = os.path.splitext(os.path.basename(values.model_path))
        sibling = os.path.join(os.path.dirname(values.model_path), f"{stem}.meta.json")
        if os.path.exists(sibling):
            metadata_path = sibling
    return {
        "type": values.type,
        "model_path": values.model_path,
        "version": values.version,
        "stage": values.stage,
        "metadata_path": metadata_path,
        "format": values.format,
        "url": (values.url or env.get("MODEL_AB_URL") or "http://127.0.0.1:3000").rstrip("/"),
        "token": token,
        "json": values.json,
    }


def multipart(fields, file_field, file_path, boundary):
    """The body as (length, chunks): the fields first, then the file streamed from disk."""
    head = b""
    for name, value in fields:
        head += (f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n').encode() + value.encode() + b"\r\n"
    filename = os.path.basename(file_path).replace('"', "")
    head += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{file_field}"; filename="{filename}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    size = os.path.getsize(file_path)

    def chunks():
        yield head
        with open(file_path, "rb") as stream:
            while True:
                chunk = stream.read(CHUNK)
                if not chunk:
                    break
                yield chunk
        yield tail

    return len(head) + size + len(tail), chunks()


def deploy(options):
    if not os.path.isfile(options["model_path"]):
        raise UsageError(f"--model-path {options['model_path']} is not a file")
    # Fields before the file, so the server knows what it receives before the bytes arrive.
    fields = [("version", options["version"]), ("format", options["format"])]
    if options["stage"]:
        fields.append(("stage", options["stage"]))
    if options["metadata_path"]:
        try:
            with open(options["metadata_path"], encoding="utf-8") as handle:
                text = handle.read()
        except OSError:
            raise UsageError(f"cannot read --metadata {options['metadata_path']}")
        try:
            json.loads(text)
        except ValueError:
            raise UsageError(f"{options['metadata_path']} is not valid JSON")
        fields.append(("metadata", text))
    boundary = f"model-ab-{uuid.uuid4().hex}"
    length, body = multipart(fields, "file", options["model_path"], boundary)
    path = f"/api/v1/models/{urllib.parse.quote(options['type'], safe='')}/versions"
    target = urllib.parse.urlsplit(options["url"])
    connection_class = http.client.HTTPSConnection if target.scheme == "https" else http.client.HTTPConnection
    connection = connection_class(target.hostname or "127.0.0.1", target.port, timeout=300)
    try:
        try:
            connection.putrequest("POST", (target.path.rstrip("/") or "") + path)
            connection.putheader("authorization", f"Bearer {options['token']}")
            connection.putheader("content-type", f"multipart/form-data; boundary={boundary}")
            connection.putheader("content-length", str(length))
            connection.endheaders()
        except OSError as error:
            raise RuntimeError(f"cannot reach {options['url']}: {error}")
        try:
            for chunk in body:
                connection.send(chunk)
        except (BrokenPipeError, ConnectionResetError):
            # The server answered before reading the whole upload (a refused token, an unknown
            # model type): its answer is still there to read.
            pass
        try:
            response = connection.getresponse()
            text = response.read().decode("utf-8", "replace")
        except (OSError, http.client.HTTPException) as error:
            raise RuntimeError(f"cannot reach {options['url']}: {error}")
    finally:
        connection.close()
    try:
        answer = json.loads(text)
    except ValueError:
        answer = None
    if response.status >= 400:
        message = answer.get("message") if isinstance(answer, dict) and isinstance(answer.get("message"), str) else (text[:500] or response.reason)
        code = f" {answer['code']}" if isinstance(answer, dict) and isinstance(answer.get("code"), str) else ""
        raise RuntimeError(f"{response.status}{code}: {message}")
    return answer


def main(argv, env):
    try:
        options = parse_options(argv, env)
    except UsageError as error:
        print(f"deploy-model: {error}\n\n{USAGE}", file=sys.stderr)
        return 2
    if options is None:
        print(USAGE)
        return 0
    try:
        registered = deploy(options)
    except UsageError as error:
        print(f"deploy-model: {error}", file=sys.stderr)
        return 2
    except RuntimeError as error:
        print(f"deploy-model: {error}", file=sys.stderr)
        return 1
    if options["json"]:
        print(json.dumps(registered, indent=2, ensure_ascii=False))
    else:
        print(f"registered {registered['model_type']} {registered['version']} (stage {registered['stage']})")
        print(f"  sha256  {registered['sha256']}")
        print(f"  size    {registered['size_bytes']} bytes")
        print(f"  by      {registered['created_by']}")
        print(f"  url     {options['url']}{registered['artifact_url']}")
        if not options["metadata_path"]:
            print("  note    no metadata was sent: loadModel cannot serve this version")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], os.environ))
