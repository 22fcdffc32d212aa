#!/usr/bin/env bash
# Brought-along policies: the shared gatekeeper-library templates over the shared corpus in
# `kubepci scan --policies`, beside the same templates in regorus' own CLI (the engine kubepci
# evaluates Rego with, as its authors ship it) on the same objects.
#
#   bench/policies.sh [--runs N]
#
# Each template runs with the constraint of its suite's first test. kubepci is measured three
# ways on the corpus: the compiled catalogue alone, the policies alone (Rego, then CEL where
# templates have it) and both; the overhead is policies + catalogue against the catalogue
# alone. The regorus CLI (built once from crates.io into bench/.cache/regorus) evaluates
# every Rego template's `violation` rule for every corpus object of a kind its constraint
# matches, with Gatekeeper's input (`input.review`, `input.parameters`), from the corpus
# converted once to JSON: its time is that evaluation plus reading the JSON, and the reading
# alone is shown too. Medians of N runs; objects are the corpus objects kubepci loads.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
cache="$root/bench/.cache"
mkdir -p "$cache"
runs=5
while [ $# -gt 0 ]; do
    case "$1" in
        --runs) runs=$2; shift 2 ;;
        *) echo "unknown option $1" >&2; exit 2 ;;
    esac
done
shared="${KUBEPCI_SHARED:-$root/../shared}"
corpus="$(cd "$shared/corpus" && pwd)"
library="$(cd "$shared/conformance/gatekeeper-library/library" && pwd)"

cargo build --release -q -p kubepci
kubepci="$root/target/release/kubepci"
regorus="$cache/regorus/bin/regorus"
if [ ! -x "$regorus" ]; then
    echo "building regorus 0.14.1's CLI into $cache/regorus (once)" >&2
    cargo install -q --locked regorus --version 0.14.1 --example regorus \
        --root "$cache/regorus" --target-dir "$cache/regorus-target"
fi

# The policies (template + first constraint of each suite), the corpus as JSON, and one
# regorus driver module that runs every Rego template on the objects its constraint matches.
work="$cache/policies-bench"
rm -rf "$work" && mkdir -p "$work/policies" "$work/rego"
python3 - "$library" "$corpus" "$work" <<'PY'
import json, os, sys, yaml
library, corpus, work = sys.argv[1:]
class Loader(yaml.SafeLoader):
    pass
# Kubernetes reads YAML 1.1 scalars as the Go library does; keep timestamps as strings.
Loader.yaml_implicit_resolvers = {k: [r for r in v if r[0] != 'tag:yaml.org,2002:timestamp']
                                   for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
drivers, libs, seen_libs = [], [], set()
for category in sorted(os.listdir(library)):
    for name in sorted(os.listdir(os.path.join(library, category))):
        base = os.path.join(library, category, name)
        suite = yaml.load(open(os.path.join(base, 'suite.yaml')), Loader)
        test = suite['tests'][0]
        template_text = open(os.path.join(base, test['template'])).read()
        constraint_text = open(os.path.join(base, test['constraint'])).read()
        with open(os.path.join(work, 'policies', f'{name}.yaml'), 'w') as out:
            out.write(template_text.rstrip('\n') + '\n---\n' + constraint_text)
        template = yaml.load(template_text, Loader)
        constraint = yaml.load(constraint_text, Loader)
        target = template['spec']['targets'][0]
        rego, tlibs = target.get('rego'), target.get('libs', [])
        for code in target.get('code', []):
            if code.get('engine') == 'Rego':
                rego, tlibs = code['source']['rego'], code['source'].get('libs', [])
        package = rego.split('package ', 1)[1].split()[0]
        with open(os.path.join(work, 'rego', f'{name}.rego'), 'w') as out:
            out.write(rego)
        for lib in tlibs:
            if lib not in seen_libs:
                seen_libs.add(lib)
                with open(os.path.join(work, 'rego', f'lib-{len(seen_libs)}.rego'), 'w') as out:
                    out.write(lib)
        kinds = sorted({k for m in constraint['spec'].get('match', {}).get('kinds', []) for k in m.get('kinds', [])})
        params = json.dumps(constraint['spec'].get('parameters', {}))
        kind_test = '' if not kinds or '*' in kinds else f'\n  {json.dumps(kinds)}[_] == obj.kind'
        drivers.append(f'''
found[["{name}", i, v]] {{
  obj := data.objects[i]{kind_test}
  v := data.{package}.violation[_] with input as {{"review": review(obj), "parameters": {params}}}
}}''')
objects = []
for dirpath, _, files in sorted(os.walk(corpus)):
    for f in sorted(files):
        if not f.endswith(('.yaml', '.yml', '.json')):
            continue
        try:
            docs = list(yaml.load_all(open(os.path.join(dirpath, f), encoding='utf-8', errors='replace'), Loader))
        except Exception:
            continue
        for doc in docs:
            items = doc.get('items') if isinstance(doc, dict) and str(doc.get('kind', '')).endswith('List') else [doc]
            for o in items or []:
                if isinstance(o, dict) and o.get('apiVersion') and o.get('kind'):
                    objects.append(o)
json.dump({'objects': objects}, open(os.path.join(work, 'objects.json'), 'w'))
with open(os.path.join(work, 'rego', 'bench.rego'), 'w') as out:
    out.write('''package bench

review(obj) = r {
  parts := split(obj.apiVersion, "/")
  count(parts) == 2
  r := {"kind": {"group": parts[0], "version": parts[1], "kind": obj.kind}, "object": obj, "name": object.get(obj.metadata, "name", ""), "operation": ""}
}
review(obj) = r {
  parts := split(obj.apiVersion, "/")
  count(parts) == 1
  r := {"kind": {"group": "", "version": parts[0], "kind": obj.kind}, "object": obj, "name": object.get(obj.metadata, "name", ""), "operation": ""}
}

total := count(found)
''' + ''.join(drivers) + '\n')
print(f'{len(objects)} objects as JSON', file=sys.stderr)
PY

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
time_runs() { # command… → median seconds
    for _ in $(seq "$runs"); do
        /usr/bin/time -f "%e" -o "$work/time" "$@" >/dev/null 2>&1 || true
        cat "$work/time"
    done | median
}
policy_ids=$(for f in "$work"/policies/*.yaml; do
    python3 -c 'import sys,yaml; d=list(yaml.safe_load_all(open(sys.argv[1]))); c=d[-1]; print("gk:%s/%s" % (c["kind"], c["metadata"]["name"]))' "$f"
done | paste -sd, -)
# Objects as a scan with the policies loads them (every kind: some templates match any).
objects=$("$kubepci" scan "$corpus" -f json --policies "$work/policies" --rules "$policy_ids" 2>/dev/null \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["inputs"]["objects"])' || echo "?")

catalogue=$(time_runs "$kubepci" scan "$corpus" -f json)
rego_only=$(time_runs "$kubepci" scan "$corpus" -f json --policies "$work/policies" --policy-engine rego --rules "$policy_ids")
cel_only=$(time_runs "$kubepci" scan "$corpus" -f json --policies "$work/policies" --policy-engine cel --rules "$policy_ids")
both=$(time_runs "$kubepci" scan "$corpus" -f json --policies "$work/policies" --policy-engine cel)
regorus_eval=$(time_runs "$regorus" eval --v0 -b "$work/rego" -d "$work/objects.json" data.bench.total)
regorus_load=$(time_runs "$regorus" eval --v0 -d "$work/objects.json" "count(data.objects)")

rate() { python3 -c "import sys; o,s=sys.argv[1],float(sys.argv[2]); print(f'{int(o)/s:,.0f}' if o.isdigit() and s>0 else '?')" "$1" "$2"; }
echo
echo "bench/policies.sh: 25 gatekeeper-library templates over $corpus ($objects objects), median of $runs runs, load $(cut -d' ' -f1 /proc/loadavg)"
printf '%-58s %8s %12s\n' "run" "wall s" "objects/s"
printf '%-58s %8s %12s\n' "kubepci scan (compiled catalogue only)" "$catalogue" "$(rate "$objects" "$catalogue")"
printf '%-58s %8s %12s\n' "kubepci scan --policies (25 templates, Rego)" "$rego_only" "$(rate "$objects" "$rego_only")"
printf '%-58s %8s %12s\n' "kubepci scan --policies (CEL where templates have it)" "$cel_only" "$(rate "$objects" "$cel_only")"
printf '%-58s %8s %12s\n' "kubepci scan: catalogue + 25 templates" "$both" "$(rate "$objects" "$both")"
printf '%-58s %8s %12s\n' "regorus CLI: 25 Rego templates on the same objects" "$regorus_eval" "$(rate "$objects" "$regorus_eval")"
printf '%-58s %8s %12s\n' "regorus CLI: reading the objects' JSON only" "$regorus_load" ""
python3 -c "import sys; c,b=float(sys.argv[1]),float(sys.argv[2]); print(f'overhead of the 25 templates on a full scan: {b/c:.2f}x the catalogue alone')" "$catalogue" "$both"
