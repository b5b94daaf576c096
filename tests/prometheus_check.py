#!/usr/bin/env python3
"""prometheus_check.py - the dashboard's and the alerts' PromQL against a real node

Starts a node (zchain up, two validators, one miner, p2p on, in a temporary
datadir), sends it transactions so the histograms and counters have samples,
and scrapes its metrics sidecar. Then:

  - every PromQL expression of deploy/grafana/dashboards/zchain.json (each
    panel's targets) and of the rule files (deploy/prometheus/alerts.yml)
    may name only metrics the scrape has (histograms by their _bucket, _sum
    and _count series; Prometheus's own up and scrape_* series), only label
    names those metrics carry (or Prometheus adds: job, instance and the
    configs' target labels), and for = and =~ of plain words only values
    some series has (Grafana variables like $instance excepted); the labels
    of by/without/on/ignoring must exist on a metric the expression uses;
  - the input series of deploy/prometheus/alerts.test.yml must look like
    the scrape's (names, label names, service values);
  - promtool check metrics passes on the scrape, check config on each
    Prometheus config (copied beside the rule files, as in their
    containers, and it must load them), check rules on the rule files,
    and test rules on alerts.test.yml, which must hold a firing and a
    quiet case for every alert;
  - deploy/k8s/base/alerts.yml is deploy/prometheus/alerts.yml.

A failure names the panel or rule and the metric or label at fault.

  tests/prometheus_check.py --source DIR --bin DIR [--keep] [--save-scrape FILE]
  tests/prometheus_check.py --source DIR --scrape FILE    checks only, no node

Only the standard library: the YAML here is read by a few line rules that
fit how these files are written, and says so when a file does not fit.
ZC_TEST_KEEP=1 (or --keep) keeps the node's datadir.
"""

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

FAILURES = []


def fail (where, message):
    FAILURES.append (f"{where}: {message}")
    print (f"FAIL {where}: {message}", file = sys.stderr)


# ---------------------------------------------------------------------------
#  PromQL: enough of a tokenizer to find every selector, its matchers, and
#  the labels of grouping clauses

AGGREGATORS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count",
               "count_values", "bottomk", "topk", "quantile", "limitk", "limit_ratio"}
GROUPING = {"by", "without", "on", "ignoring", "group_left", "group_right"}
KEYWORDS = {"and", "or", "unless", "bool", "offset", "atan2", "inf", "nan"}
#  series Prometheus makes for each target itself
BUILTINS = {"up", "scrape_duration_seconds", "scrape_samples_scraped",
            "scrape_samples_post_metric_relabeling", "scrape_series_added"}

TOKEN = re.compile (r"""
    (?P<space>\s+|\#[^\n]*)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<var>\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\[\[[^\]]*\]\])
  | (?P<range>\[[^\]]*\])
  | (?P<number>(?:0x[0-9a-fA-F]+|[0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)(?:[a-zA-Z]+[0-9]*)*)
  | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
  | (?P<match>=~|!~|!=|==|>=|<=|=)
  | (?P<punct>[(){},+\-*/%^<>@])
""", re.VERBOSE)


def tokenize (expr):
    tokens, pos = [], 0
    while pos < len (expr):
        m = TOKEN.match (expr, pos)
        if not m:
            raise ValueError (f"cannot read PromQL at {expr [pos:pos + 20]!r}")
        pos = m.end ()
        if m.lastgroup != "space":
            tokens.append ((m.lastgroup, m.group ()))
    return tokens


def unquote (s):
    if s.startswith ("`"):
        return s [1:-1]
    body = s [1:-1]
    return re.sub (r"\\(.)", lambda m: {"n": "\n", "t": "\t"}.get (m.group (1), m.group (1)), body)


def parse_promql (expr):
    """The selectors ({name, matchers: [(label, op, value)]}) and grouping
    labels ([(keyword, [labels])]) of an expression."""
    tokens = tokenize (expr)
    selectors, groupings = [], []
    i = 0

    def matchers_at (j):
        #  tokens [j] is "{": read label op "value" [, ...] up to "}"
        out = []
        j += 1
        while j < len (tokens) and tokens [j] [1] != "}":
            if tokens [j] [1] == ",":
                j += 1
                continue
            if (j + 2 >= len (tokens) or tokens [j] [0] != "ident" or tokens [j + 1] [0] != "match"
                    or tokens [j + 2] [0] != "string"):
                raise ValueError (f"cannot read the label matchers near {tokens [j] [1]!r}")
            out.append ((tokens [j] [1], tokens [j + 1] [1], unquote (tokens [j + 2] [1])))
            j += 3
        return out, j + 1

    while i < len (tokens):
        kind, text = tokens [i]
        nxt = tokens [i + 1] [1] if i + 1 < len (tokens) else None
        if kind == "ident" and text in GROUPING:
            labels = []
            i += 1
            if nxt == "(":
                i += 1
                while i < len (tokens) and tokens [i] [1] != ")":
                    if tokens [i] [0] == "ident":
                        labels.append (tokens [i] [1])
                    i += 1
                i += 1
            groupings.append ((text, labels))
            continue
        if kind == "ident" and (nxt == "(" or (text in AGGREGATORS and nxt in ("by", "without"))):
            i += 1                      #  a function or an aggregation
            continue
        if kind == "ident" and text.lower () in KEYWORDS:
            i += 1
            continue
        if kind == "ident":
            matchers = []
            i += 1
            if nxt == "{":
                matchers, i = matchers_at (i)
            selectors.append ({"name": text, "matchers": matchers})
            continue
        if text == "{":
            matchers, i = matchers_at (i)
            names = [v for (l, op, v) in matchers if l == "__name__" and op == "="]
            selectors.append ({"name": names [0] if names else None,
                               "matchers": [m for m in matchers if m [0] != "__name__"]})
            continue
        i += 1
    return selectors, groupings


# ---------------------------------------------------------------------------
#  the scrape: sample name -> the label sets of its series

SAMPLE = re.compile (r'^([A-Za-z_:][A-Za-z0-9_:]*)(\{.*\})?\s+\S+')
LABEL = re.compile (r'\s*([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?')


def parse_labels (text):
    out, pos = {}, 0
    text = text.strip ()
    if text.startswith ("{"):
        text = text [1:-1]
    while pos < len (text):
        m = LABEL.match (text, pos)
        if not m:
            raise ValueError (f"cannot read labels {text!r}")
        out [m.group (1)] = unquote ('"' + m.group (2) + '"')
        pos = m.end ()
    return out


def parse_scrape (text):
    series = {}
    for line in text.splitlines ():
        if not line or line.startswith ("#"):
            continue
        m = SAMPLE.match (line)
        if not m:
            raise ValueError (f"cannot read the scrape's line {line!r}")
        series.setdefault (m.group (1), []).append (parse_labels (m.group (2) or ""))
    return series


def sample_value (text, name, labels):
    for line in text.splitlines ():
        m = SAMPLE.match (line)
        if m and m.group (1) == name and labels.items () <= parse_labels (m.group (2) or "").items ():
            return float (line.rsplit (None, 1) [1])
    return None


# ---------------------------------------------------------------------------
#  the checks

class Universe:
    """What Prometheus will hold: the scrape, plus the labels it adds"""
    def __init__ (self, series, jobs, target_labels):
        self.series = series
        self.jobs = jobs
        #  every series gets job and instance (the sidecar's own instance
        #  wins under honor_labels) and the configs' target labels
        self.added = {"job", "instance"} | target_labels

    def labels_of (self, name):
        if name in BUILTINS:
            return [{"job": j} for j in self.jobs]
        return self.series.get (name)


def s_plain_words (regex):
    return re.fullmatch (r"[A-Za-z0-9_.:-]+(\|[A-Za-z0-9_.:-]+)*", regex) is not None


def check_selector (where, sel, universe):
    name = sel ["name"]
    if name is None:
        fail (where, f"a selector without a metric name ({sel ['matchers']}): cannot check it")
        return
    found = universe.labels_of (name)
    if not found:
        hint = ""
        for suffix in ("_bucket", "_sum", "_count"):
            if name + suffix in universe.series:
                hint = f" (a histogram: use {name}_bucket, _sum or _count)"
        fail (where, f"metric {name} is not in the node's /metrics{hint}")
        return
    for label, op, value in sel ["matchers"]:
        have = [s [label] for s in found if label in s]
        if label == "job":
            have += universe.jobs
        if not have and label not in universe.added:
            fail (where, f"{name}: no series has the label {label} "
                         f"(its labels: {sorted (set ().union (*found) | universe.added)})")
            continue
        if "$" in value or "[[" in value or not have:
            continue                    #  a Grafana variable, or a label Prometheus sets
        if op == "=" and value not in have:
            fail (where, f'{name}{{{label}="{value}"}}: no series has that value '
                         f"(it has {sorted (set (have))})")
        if op == "=~" and s_plain_words (value):
            for word in value.split ("|"):
                if word not in have:
                    fail (where, f'{name}{{{label}=~"{value}"}}: no series has {label}="{word}" '
                                 f"(it has {sorted (set (have))})")


def check_expr (where, expr, universe):
    try:
        selectors, groupings = parse_promql (expr)
    except ValueError as e:
        fail (where, f"{e} in {expr!r}")
        return
    if not selectors:
        fail (where, f"no metric in {expr!r}")
    labels = set (universe.added)
    for sel in selectors:
        check_selector (where, sel, universe)
        for s in universe.labels_of (sel ["name"]) or []:
            labels |= set (s)
    for keyword, names in groupings:
        for label in names:
            if label not in labels:
                fail (where, f"{keyword} ({', '.join (names)}): no metric of the expression has "
                             f"the label {label}")


def dashboard_exprs (path):
    with open (path) as f:
        dashboard = json.load (f)
    out = []

    def walk (panels):
        for p in panels:
            for t in p.get ("targets", []):
                if t.get ("expr"):
                    out.append ((f"dashboard panel {p.get ('title')!r} (refId {t.get ('refId', '?')})",
                                 t ["expr"]))
            walk (p.get ("panels", []))
    walk (dashboard.get ("panels", []))
    return out


def yaml_scalar (lines, i, key):
    """The value of `key:` on lines [i], plain, quoted or a block (| or >)"""
    m = re.match (r"^(\s*)(?:- )?" + key + r":\s*(.*)$", lines [i])
    indent, value = len (m.group (1)), m.group (2).strip ()
    if value [:1] in ("|", ">"):
        body = []
        for line in lines [i + 1:]:
            if line.strip () and len (line) - len (line.lstrip ()) <= indent:
                break
            body.append (line.strip ())
        return " ".join (b for b in body if b)
    if value.startswith ('"'):
        return json.loads (value)
    if value.startswith ("'"):
        return value [1:-1].replace ("''", "'")
    return value


def rule_exprs (path):
    """[(where, expr)] of a rule file's alert and record rules"""
    with open (path) as f:
        lines = f.read ().splitlines ()
    out, name, names = [], None, 0
    for i, line in enumerate (lines):
        m = re.match (r"^\s*- (alert|record):\s*(\S+)", line)
        if m:
            name = f"{os.path.basename (path)} {m.group (1)} {m.group (2)} (line {i + 1})"
            names += 1
        elif re.match (r"^\s*expr:", line):
            out.append ((name or f"{path} line {i + 1}", yaml_scalar (lines, i, "expr")))
    if names != len (out):
        fail (path, f"{names} rules but {len (out)} expr: lines (this reader wants one expr: per rule)")
    return out


def config_facts (paths):
    """Job names, the target labels the configs add, the rule files they load"""
    jobs, labels, rule_files = set (), set (), {}
    for path in paths:
        with open (path) as f:
            lines = f.read ().splitlines ()
        rule_files [path] = []
        for i, line in enumerate (lines):
            m = re.match (r"^\s*- job_name:\s*(\S+)", line)
            if m:
                jobs.add (m.group (1).strip ("\"'"))
            m = re.match (r"^\s*target_label:\s*(\S+)", line)
            if m and not m.group (1).strip ("\"'").startswith ("__"):
                labels.add (m.group (1).strip ("\"'"))     #  __address__ and such go before storage
            if re.match (r"^\s*labels:\s*$", line):
                indent = len (line) - len (line.lstrip ())
                for sub in lines [i + 1:]:
                    if len (sub) - len (sub.lstrip ()) <= indent:
                        break
                    labels.add (sub.split (":") [0].strip ())
            if re.match (r"^rule_files:", line):
                for sub in lines [i + 1:]:
                    m2 = re.match (r"^\s+- (\S+)", sub)
                    if not m2:
                        break
                    rule_files [path].append (m2.group (1).strip ("\"'"))
    return jobs, labels, rule_files


def alert_names (path):
    with open (path) as f:
        return sorted (set (re.findall (r"^\s*- alert:\s*(\S+)", f.read (), re.M)))


def check_rule_tests (path, alerts, universe):
    """Every alert has a firing and a quiet case; every input series looks
    like the scrape's"""
    with open (path) as f:
        lines = f.read ().splitlines ()
    firing, quiet = set (), set ()
    for i, line in enumerate (lines):
        m = re.match (r"^\s*(?:- )?alertname:\s*(\S+)", line)
        if m:
            rest = [l for l in lines [i + 1:i + 4] if "exp_alerts:" in l]
            if rest and rest [0].strip ().endswith ("[]"):
                quiet.add (m.group (1))
            elif rest:
                firing.add (m.group (1))
        if re.match (r"^\s*- series:", line):
            text = yaml_scalar (lines, i, "series")
            m = re.match (r"^([A-Za-z_:][A-Za-z0-9_:]*)(\{.*\})?$", text)
            if not m:
                fail (f"{os.path.basename (path)} line {i + 1}", f"cannot read the series {text!r}")
                continue
            sel = {"name": m.group (1),
                   "matchers": [(k, "=", v) for k, v in parse_labels (m.group (2) or "").items ()]}
            check_selector (f"{os.path.basename (path)} line {i + 1} (input series)", sel, universe)
    for a in alerts:
        if a not in firing:
            fail (os.path.basename (path), f"no case where {a} fires")
        if a not in quiet:
            fail (os.path.basename (path), f"no case where {a} stays quiet (exp_alerts: [])")
    for a in sorted ((firing | quiet) - set (alerts)):
        fail (os.path.basename (path), f"tests {a}, which no rule file defines")


def promtool (promtool_path, args, where, stdin = None, cwd = None, want = None):
    r = subprocess.run ([promtool_path] + args, input = stdin, cwd = cwd, capture_output = True,
                        text = True, timeout = 120)
    out = (r.stdout + r.stderr).strip ()
    if r.returncode != 0:
        fail (where, f"promtool {' '.join (args)} exited {r.returncode}:\n{out}")
    elif want and not re.search (want, out):
        fail (where, f"promtool {' '.join (args)} did not say {want!r}:\n{out}")
    else:
        print (f"ok   {where}: promtool {' '.join (args [:2])}")
    return out


# ---------------------------------------------------------------------------
#  the node

def free_ports (n):
    socks, ports = [], []
    for _ in range (n):
        s = socket.socket ()
        s.bind (("127.0.0.1", 0))
        socks.append (s)
        ports.append (s.getsockname () [1])
    for s in socks:
        s.close ()
    return ports


def zchain (bin_dir, datadir, *args, timeout = 30):
    return subprocess.run ([os.path.join (bin_dir, "zchain"), "--datadir", datadir] + list (args),
                           capture_output = True, text = True, timeout = timeout)


def http_get (url):
    with urllib.request.urlopen (url, timeout = 5) as r:
        return r.read ().decode ()


def log_tail (datadir):
    try:
        with open (os.path.join (datadir, "up.log")) as f:
            return "".join (f.readlines () [-15:])
    except OSError:
        return "(no up.log)"


def run_node (bin_dir, datadir):
    """Starts the node, sends it transactions, returns (process, scrape)"""
    http, metrics, p2p = free_ports (3)
    log = open (os.path.join (datadir, "up.log"), "w")
    up = subprocess.Popen ([os.path.join (bin_dir, "zchain"), "--datadir", datadir, "up",
                            "--validators", "2", "--miners", "1", "--block-interval", "1000",
                            "--http", f"127.0.0.1:{http}", "--metrics", f"127.0.0.1:{metrics}",
                            "--p2p", f"127.0.0.1:{p2p}"], stdout = log, stderr = subprocess.STDOUT)
    log.close ()
    #  coinbase outputs mature after 10 blocks in regtest: bench spends them
    height, deadline = -1, time.monotonic () + 180
    while height < 12 and time.monotonic () < deadline and up.poll () is None:
        r = zchain (bin_dir, datadir, "--json", "status")
        try:
            height = json.loads (r.stdout).get ("height", -1) if r.returncode == 0 else -1
        except ValueError:
            height = -1
        time.sleep (0.5)
    if height < 12:
        raise RuntimeError (f"the node did not reach height 12 (at {height}):\n{log_tail (datadir)}")
    r = zchain (bin_dir, datadir, "--json", "bench", "--txs", "2000", "--accounts", "10", timeout = 300)
    if r.returncode != 0:
        raise RuntimeError (f"zchain bench failed ({r.returncode}): {r.stderr.strip ()}")
    #  every service has reported and the sidecar has the mempool's counts
    needed = {"storage", "mempool", "gateway", "validator-1", "validator-2", "miner-1"}
    deadline, text = time.monotonic () + 60, ""
    while time.monotonic () < deadline:
        try:
            text = http_get (f"http://127.0.0.1:{metrics}/metrics")
            series = parse_scrape (text)
            alive = {s.get ("instance") for s in series.get ("zchain_instance_up", [])}
            accepted = sample_value (text, "zchain_txs_accepted_total", {"service": "mempool"}) or 0
            if needed <= alive and accepted > 0:
                return up, text
        except (OSError, ValueError):
            pass
        time.sleep (0.5)
    raise RuntimeError (f"the sidecar never showed every instance and accepted transactions:\n"
                        f"{text [-2000:]}")


def stop_node (up):
    if up.poll () is None:
        up.send_signal (signal.SIGTERM)
        try:
            up.wait (timeout = 60)
        except subprocess.TimeoutExpired:
            up.kill ()
            up.wait ()


# ---------------------------------------------------------------------------

def main ():
    ap = argparse.ArgumentParser (description = __doc__.split ("\n") [0])
    ap.add_argument ("--source", required = True, help = "the repository")
    ap.add_argument ("--bin", help = "the directory with zchain")
    ap.add_argument ("--keep", action = "store_true", help = "keep the node's datadir")
    ap.add_argument ("--save-scrape", metavar = "FILE", help = "write the node's /metrics to FILE")
    ap.add_argument ("--scrape", metavar = "FILE",
                     help = "check against a saved scrape instead of starting a node (quick, "
                            "when changing the dashboard or the rules)")
    args = ap.parse_args ()
    src = args.source
    dashboard = os.path.join (src, "deploy/grafana/dashboards/zchain.json")
    alerts = os.path.join (src, "deploy/prometheus/alerts.yml")
    alert_tests = os.path.join (src, "deploy/prometheus/alerts.test.yml")
    k8s_alerts = os.path.join (src, "deploy/k8s/base/alerts.yml")
    configs = [os.path.join (src, p) for p in
               ("deploy/prometheus.yml", "deploy/swarm/prometheus.yml", "deploy/k8s/base/prometheus.yml")]
    tool = shutil.which ("promtool")
    if not tool:
        print ("prometheus_check: promtool not found (Debian's prometheus package: "
               "deploy/install-deps.sh installs it)", file = sys.stderr)
        return 1

    if args.scrape:
        with open (args.scrape) as f:
            scrape = f.read ()
    elif not args.bin:
        ap.error ("--bin DIR (or --scrape FILE) is needed")
    else:
        keep = args.keep or os.environ.get ("ZC_TEST_KEEP") == "1"
        datadir = tempfile.mkdtemp (prefix = "zc-promcheck-")
        up = None
        try:
            up, scrape = run_node (args.bin, datadir)
        except (RuntimeError, OSError, subprocess.TimeoutExpired) as e:
            print (f"prometheus_check: {e}", file = sys.stderr)
            return 1
        finally:
            if up:
                stop_node (up)
            if keep:
                print (f"kept {datadir}", file = sys.stderr)
            else:
                shutil.rmtree (datadir, ignore_errors = True)
        if args.save_scrape:
            with open (args.save_scrape, "w") as f:
                f.write (scrape)
    series = parse_scrape (scrape)
    print (f"scraped {sum (len (v) for v in series.values ())} series of {len (series)} names")

    jobs, target_labels, rule_files = config_facts (configs)
    universe = Universe (series, sorted (jobs), target_labels)

    #  1. every expression against the scrape
    exprs = dashboard_exprs (dashboard) + rule_exprs (alerts)
    before = len (FAILURES)
    for where, expr in exprs:
        check_expr (where, expr, universe)
    if len (FAILURES) == before:
        print (f"ok   {len (exprs)} expressions (dashboard and alerts) use only what the node exports")
    check_rule_tests (alert_tests, alert_names (alerts), universe)

    #  2. promtool
    promtool (tool, ["check", "metrics"], "the sidecar's /metrics", stdin = scrape)
    promtool (tool, ["check", "rules", alerts], os.path.basename (alerts))
    promtool (tool, ["test", "rules", os.path.basename (alert_tests)], os.path.basename (alert_tests),
              cwd = os.path.dirname (alert_tests))
    for path in configs:
        where = os.path.relpath (path, src)
        if rule_files [path] != ["alerts.yml"]:
            fail (where, f"rule_files is {rule_files [path]}, want [alerts.yml] (deploy/prometheus/alerts.yml "
                         "mounted beside the config)")
        #  as in the container: the rule file beside the config
        with tempfile.TemporaryDirectory (prefix = "zc-promcheck-") as tmp:
            shutil.copy (path, os.path.join (tmp, "prometheus.yml"))
            shutil.copy (alerts, os.path.join (tmp, "alerts.yml"))
            promtool (tool, ["check", "config", "prometheus.yml"], where, cwd = tmp,
                      want = r"SUCCESS: 1 rule files found")

    #  3. kustomize reads only below deploy/k8s/base: a copy, kept the same
    with open (alerts, "rb") as a, open (k8s_alerts, "rb") as b:
        if a.read () != b.read ():
            fail ("deploy/k8s/base/alerts.yml", "differs from deploy/prometheus/alerts.yml: "
                  "cp deploy/prometheus/alerts.yml deploy/k8s/base/alerts.yml")

    if FAILURES:
        print (f"prometheus_check: FAILED: {len (FAILURES)} problems; first: {FAILURES [0]}", file = sys.stderr)
        return 1
    print ("prometheus_check: passed")
    return 0


if __name__ == "__main__":
    sys.exit (main ())
