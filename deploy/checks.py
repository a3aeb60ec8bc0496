#!/usr/bin/env python3
"""Checks of deploy/ that no off-the-shelf validator makes (deploy/check runs them).

  split <rendered.yaml> <dir>      split a rendering: built-in kinds to <dir>/k8s.yaml,
                                   each SpinKube object to <dir>/<kind>-<name>.json
  strict-schema <in> <out>         the vendored CRD schema with additionalProperties:
                                   false wherever it lists properties (the API server's
                                   strict field validation refuses unknown fields too)
  bindings <rendered.yaml>         each SpinApp runs one HTTP component of spin.toml,
                                   binds exactly that component's variables, secrets
                                   only from a Secret, the rest from the settings
                                   ConfigMap (which has the key); no Secret is rendered;
                                   every HPA targets an autoscaled SpinApp
  metric-names                     every kaltura_discord_* metric the alerts and the
                                   dashboard use is one the collector config produces
  collector                        the collector config's pipelines name only defined
                                   receivers, processors, exporters and connectors
  dashboard-rules <out.yml>        the dashboard's PromQL as recording rules, for promtool
"""
import json
import re
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
COLLECTOR = DEPLOY / "kubernetes/base/otel-collector-config.yaml"
ALERTS = DEPLOY / "observability/alerts.yml"
DASHBOARD = DEPLOY / "observability/dashboard.json"
SPIN_KINDS = {"SpinApp", "SpinAppExecutor"}


def fail(message):
    print(f"FAIL: {message}", file=sys.stderr)
    sys.exit(1)


def docs(path):
    return [d for d in yaml.safe_load_all(Path(path).read_text()) if d]


def split(rendered, out_dir):
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    builtin = []
    for doc in docs(rendered):
        if doc["kind"] in SPIN_KINDS:
            name = f"{doc['kind'].lower()}-{doc['metadata']['name']}.json"
            (out / name).write_text(json.dumps(doc, indent=1))
        else:
            builtin.append(doc)
    (out / "k8s.yaml").write_text(yaml.safe_dump_all(builtin))


def strict_schema(src, dst):
    def walk(node):
        if isinstance(node, dict):
            if (
                "properties" in node
                and "additionalProperties" not in node
                and not node.get("x-kubernetes-preserve-unknown-fields")
            ):
                node["additionalProperties"] = False
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    schema = json.loads(Path(src).read_text())
    walk(schema)
    # apiVersion/kind/metadata are the API server's, not the CRD's: allow them.
    schema.setdefault("properties", {}).setdefault("metadata", {"type": "object"})
    Path(dst).write_text(json.dumps(schema))


def bindings(rendered):
    manifest = tomllib.loads((ROOT / "spin.toml").read_text())
    secret_vars = {k for k, v in manifest["variables"].items() if v.get("secret")}
    http_components = {t["component"] for t in manifest["trigger"]["http"]}
    objects = docs(rendered)
    if any(o["kind"] == "Secret" for o in objects):
        fail("a Secret is rendered: secrets are created with create-secrets, never in manifests")
    config_maps = {o["metadata"]["name"]: o.get("data", {}) for o in objects if o["kind"] == "ConfigMap"}
    apps = {o["metadata"]["name"]: o for o in objects if o["kind"] == "SpinApp"}
    served = set()
    for name, app in apps.items():
        spec = app["spec"]
        components = spec.get("components", [])
        if len(components) != 1 or components[0] not in http_components:
            fail(f"SpinApp {name}: components must be one HTTP component of spin.toml, got {components}")
        component = components[0]
        served.add(component)
        wanted = set(manifest["component"][component].get("variables", {}))
        bound = {}
        for var in spec.get("variables", []):
            if var["name"] in bound:
                fail(f"SpinApp {name}: variable {var['name']} bound twice")
            bound[var["name"]] = var
        if set(bound) != wanted:
            fail(
                f"SpinApp {name}: variables differ from spin.toml's [component.{component}.variables]: "
                f"missing {sorted(wanted - set(bound))}, extra {sorted(set(bound) - wanted)}"
            )
        for var_name, var in bound.items():
            source = var.get("valueFrom", {})
            if var_name in secret_vars:
                if "secretKeyRef" not in source or "value" in var:
                    fail(f"SpinApp {name}: secret variable {var_name} must come from a secretKeyRef")
            else:
                ref = source.get("configMapKeyRef")
                if ref is None:
                    fail(f"SpinApp {name}: variable {var_name} must come from the settings ConfigMap")
                if ref["key"] not in config_maps.get(ref["name"], {}):
                    fail(f"SpinApp {name}: ConfigMap {ref['name']} has no key {ref['key']}")
        if not spec.get("runtimeConfig", {}).get("loadFromSecret"):
            fail(f"SpinApp {name}: the runtime config (the shared store) must come from a Secret")
        if not spec.get("resources", {}).get("limits") or not spec.get("resources", {}).get("requests"):
            fail(f"SpinApp {name}: resources need requests and limits")
        if not spec.get("checks", {}).get("readiness"):
            fail(f"SpinApp {name}: no readiness check")
    if served != http_components:
        fail(f"HTTP components without a SpinApp: {sorted(http_components - served)}")
    for hpa in (o for o in objects if o["kind"] == "HorizontalPodAutoscaler"):
        target = hpa["spec"]["scaleTargetRef"]["name"]
        if target not in apps or not apps[target]["spec"].get("enableAutoscaling"):
            fail(f"HPA {hpa['metadata']['name']} targets {target}, which is not an autoscaled SpinApp")
    autoscaled = {n for n, a in apps.items() if a["spec"].get("enableAutoscaling")}
    targeted = {h["spec"]["scaleTargetRef"]["name"] for h in objects if h["kind"] == "HorizontalPodAutoscaler"}
    if autoscaled - targeted:
        fail(f"autoscaled SpinApps without an HPA: {sorted(autoscaled - targeted)}")
    print(f"bindings: {len(apps)} SpinApps match spin.toml ({', '.join(sorted(served))})")


def produced_metrics():
    config = yaml.safe_load(COLLECTOR.read_text())
    names = config["connectors"]["count"]["logs"].keys()
    return {re.sub(r"[^a-zA-Z0-9_]", "_", n) + "_total" for n in names}


def dashboard_exprs():
    dash = json.loads(DASHBOARD.read_text())
    exprs = [t["expr"] for p in dash["panels"] for t in p.get("targets", [])]
    for var in dash["templating"]["list"]:
        if var["type"] == "query":
            exprs.append(var["definition"])
    return exprs


def metric_names():
    produced = produced_metrics()
    used = {}
    for rule in (r for g in yaml.safe_load(ALERTS.read_text())["groups"] for r in g["rules"]):
        for name in re.findall(r"kaltura_discord_[a-z_]+", rule["expr"]):
            used.setdefault(name, set()).add(f"alert {rule['alert']}")
    for expr in dashboard_exprs():
        for name in re.findall(r"kaltura_discord_[a-z_]+", expr):
            used.setdefault(name, set()).add("dashboard")
    unknown = {n: sorted(w) for n, w in used.items() if n not in produced}
    if unknown:
        fail(f"metrics used but not produced by the collector: {unknown}; produced: {sorted(produced)}")
    print(f"metric-names: {len(used)} metrics used, all produced ({', '.join(sorted(used))})")


def collector():
    config = yaml.safe_load(COLLECTOR.read_text())
    defined = {kind: set(config.get(kind) or {}) for kind in ("receivers", "processors", "exporters", "connectors", "extensions")}
    service = config["service"]
    for ext in service.get("extensions", []):
        if ext not in defined["extensions"]:
            fail(f"collector: extension {ext} is not defined")
    for name, pipeline in service["pipelines"].items():
        for kind, allowed in (
            ("receivers", defined["receivers"] | defined["connectors"]),
            ("processors", defined["processors"]),
            ("exporters", defined["exporters"] | defined["connectors"]),
        ):
            for component in pipeline.get(kind, []):
                if component not in allowed:
                    fail(f"collector: pipeline {name} names undefined {kind[:-1]} {component}")
        if not pipeline.get("receivers") or not pipeline.get("exporters"):
            fail(f"collector: pipeline {name} needs receivers and exporters")
    for connector in defined["connectors"]:
        as_exporter = any(connector in p.get("exporters", []) for p in service["pipelines"].values())
        as_receiver = any(connector in p.get("receivers", []) for p in service["pipelines"].values())
        if not (as_exporter and as_receiver):
            fail(f"collector: connector {connector} must be an exporter of one pipeline and a receiver of another")
    for metric, spec in config["connectors"]["count"]["logs"].items():
        for condition in spec.get("conditions", []):
            if not re.fullmatch(r'attributes\["[a-z_]+"\] (==|!=) ("[a-z_]+"|nil)', condition):
                fail(f"collector: count {metric}: unexpected condition {condition!r}")
    print(f"collector: {len(service['pipelines'])} pipelines, {len(config['connectors']['count']['logs'])} counters, all references defined")


def dashboard_rules(out):
    rules = []
    for i, expr in enumerate(dashboard_exprs()):
        if expr.startswith("label_values("):
            continue
        expr = expr.replace("$__rate_interval", "5m").replace('"$component"', '".*"')
        rules.append({"record": f"dashboard:panel_{i}", "expr": expr})
    Path(out).write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}))


if __name__ == "__main__":
    command, *args = sys.argv[1:] or ["help"]
    commands = {
        "split": split,
        "strict-schema": strict_schema,
        "bindings": bindings,
        "metric-names": metric_names,
        "collector": collector,
        "dashboard-rules": dashboard_rules,
    }
    if command not in commands:
        print(__doc__)
        sys.exit(2)
    commands[command](*args)
