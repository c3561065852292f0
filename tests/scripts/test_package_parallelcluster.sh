# examples/parallelcluster/: the cluster config has the structure ParallelCluster 3
# documents (HeadNode, Scheduling.SlurmQueues[].ComputeResources[].Instances[],
# Efa.Enabled, Networking.PlacementGroup.Enabled, CustomSlurmSettings as a list of
# one-key mappings with the HealthCheckProgram the kit writes, CustomActions.OnNodeConfigured.
# Script/Args, SharedStorage FsxLustre), with a trn1 and a trn2 queue running the script.
# Then the script itself, run for the head node and for a compute node against a fake
# root (TRN_KIT_ROOT, SLURM_PREFIX) with recording doubles of aws, dnf, rpm, sysctl and
# systemctl first on PATH (nothing is installed): the files each role leaves, twice in a
# row (the second run changes nothing); the head alone writes the shared /opt/slurm, the
# compute node not one byte of it; the plugstack include is added only when no line
# already includes the snippet folder (any spacing, relative or absolute) or loads the plugin.
source "$(dirname "$0")/lib.sh"
expect_eq() { [ "$1" == "$2" ] || fail "$3: expected '$2', got '$1'"; }
kit=$TRN_TOP/examples/parallelcluster
python3 - "$kit/cluster-config.yaml" <<'PY' || fail "cluster-config.yaml: structure (above)"
import sys, yaml
c = yaml.safe_load(open(sys.argv[1]))
errors = []
def need(cond, what):
    if not cond: errors.append(what)
def action_ok(node, where):
    a = (node.get("CustomActions") or {}).get("OnNodeConfigured") or {}
    need(str(a.get("Script", "")).endswith("on-node-configured.sh"), where + ": CustomActions.OnNodeConfigured.Script is not on-node-configured.sh")
    need(isinstance(a.get("Args"), list), where + ": OnNodeConfigured.Args must be a list")
need(set(c) >= {"Region", "Image", "HeadNode", "Scheduling", "SharedStorage"}, "top-level keys: %s" % sorted(c))
head = c["HeadNode"]
need(head.get("InstanceType") and head.get("Networking", {}).get("SubnetId"), "HeadNode needs InstanceType and Networking.SubnetId")
action_ok(head, "HeadNode")
s = c["Scheduling"]
need(s.get("Scheduler") == "slurm", "Scheduling.Scheduler must be slurm")
custom = s.get("SlurmSettings", {}).get("CustomSlurmSettings")
need(isinstance(custom, list) and all(isinstance(x, dict) and len(x) == 1 for x in custom), "CustomSlurmSettings must be a list of one-key mappings")
flat = {k: v for x in custom or [] for k, v in x.items()}
need(flat.get("MpiDefault") == "pmix", "CustomSlurmSettings: MpiDefault: pmix")
need(str(flat.get("PlugStackConfig", "")).endswith("plugstack.conf"), "CustomSlurmSettings: PlugStackConfig")
need(flat.get("HealthCheckProgram") == "/opt/slurm/etc/trn-train-health", "CustomSlurmSettings: HealthCheckProgram: /opt/slurm/etc/trn-train-health (what the kit writes)")
need(isinstance(flat.get("HealthCheckInterval"), int) and flat["HealthCheckInterval"] > 0, "CustomSlurmSettings: HealthCheckInterval seconds")
types = set()
for q in s.get("SlurmQueues", []):
    where = "queue " + str(q.get("Name"))
    need(q.get("Name") and q.get("ComputeResources"), where + ": Name and ComputeResources")
    need(q.get("Networking", {}).get("PlacementGroup", {}).get("Enabled") is True, where + ": Networking.PlacementGroup.Enabled: true")
    need(isinstance(q.get("Networking", {}).get("SubnetIds"), list), where + ": Networking.SubnetIds list")
    action_ok(q, where)
    for r in q.get("ComputeResources", []):
        need(r.get("Efa", {}).get("Enabled") is True, where + ": Efa.Enabled: true")
        need(isinstance(r.get("MinCount"), int) and isinstance(r.get("MaxCount"), int) and r["MinCount"] <= r["MaxCount"], where + ": MinCount <= MaxCount")
        for i in r.get("Instances", []):
            types.add(i.get("InstanceType"))
need({"trn1.32xlarge", "trn2.48xlarge"} <= types, "a trn1 and a trn2 queue; instance types: %s" % sorted(types))
fsx = [x for x in c["SharedStorage"] if x.get("StorageType") == "FsxLustre"]
need(fsx and fsx[0].get("MountDir") and "FsxLustreSettings" in fsx[0], "SharedStorage: an FsxLustre with MountDir and FsxLustreSettings")
for e in errors: print("  " + e)
sys.exit(1 if errors else 0)
PY
script=$kit/on-node-configured.sh
[ -x "$script" ] || fail "$script is not executable"
bash -n "$script" || fail "$script: not valid bash"
# A script that ignored the fake root would write this host's /opt/slurm and /etc.
for var in TRN_KIT_ROOT SLURM_PREFIX; do grep -q "$var" "$script" || fail "$script: its paths cannot be moved for the test ($var)"; done

work=$(mktemp -d /tmp/trn-pc-kit.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/s3"
: > "$work/s3/trn-train-0.1.0-1.slurm2205.x86_64.rpm"
: > "$work/s3/trn-train-spank-0.1.0-1.slurm2205.x86_64.rpm"
# Recording doubles (first on PATH): each logs its command line; aws copies the fake
# bucket's RPMs, dnf "installs" the spank RPM's snippet as the package would.
for cmd in aws dnf rpm sysctl systemctl; do
  cat > "$work/bin/$cmd" <<EOF
#!/bin/bash
echo "$cmd \$*" >> "\$KIT_CALLS"
case "$cmd \$*" in
  "aws s3 cp"*) cp "$work/s3/"*.rpm "\${@: -1}" ;;
  "dnf install"*trn-train-spank-*)
    mkdir -p "\$TRN_KIT_ROOT/usr/share/slurm-spank-neuron"
    echo "required \$SLURM_PREFIX/lib/slurm/spank_neuron.so" > "\$TRN_KIT_ROOT/usr/share/slurm-spank-neuron/neuron.conf" ;;
esac
EOF
  chmod +x "$work/bin/$cmd"
done

# kit ROOT ROLE: runs the script for ROLE (cfnconfig under ROOT), calls in ROOT.calls.
kit() {
  local r=$1
  mkdir -p "$r/etc/parallelcluster"
  echo "cfn_node_type=$2" > "$r/etc/parallelcluster/cfnconfig"
  TRN_KIT_ROOT=$r SLURM_PREFIX=$r/opt/slurm KIT_CALLS=$r.calls PATH=$work/bin:$PATH \
    "$script" s3://bucket/trn-train/rpms >> "$r.out" 2>&1 || fail "kit ($2) failed: $(cat "$r.out")"
}
# Every file and link under a tree with its content (links: their target), to compare runs.
snapshot() { (cd "$1" && find . \( -type f -o -type l \) ! -name cfnconfig -print0 | sort -z |
  xargs -0 -r -I{} sh -c 'if [ -L "{}" ]; then echo "{} -> $(readlink "{}")"; else echo "{} $(stat -c %a "{}") $(md5sum < "{}")"; fi'); }
includes() { grep -c '^include' "$1/opt/slurm/etc/plugstack.conf" || true; }

# Head node, plugstack.conf without an include: one is added, the snippet is a copy
# (compute nodes read it over NFS), the health script is written; twice, same files.
r=$work/head
kit "$r" HeadNode
first=$(snapshot "$r")
kit "$r" HeadNode
expect_contains "$(diff <(echo "$first") <(snapshot "$r") && echo same)" same "the head's second run changes nothing"
expect_contains "$(cat "$r/opt/slurm/etc/plugstack.conf")" "include $r/opt/slurm/etc/plugstack.conf.d/*.conf" "head: include"
[ "$(includes "$r")" = 1 ] || fail "head: $(includes "$r") include lines after two runs"
[ -f "$r/opt/slurm/etc/plugstack.conf.d/neuron.conf" ] && [ ! -L "$r/opt/slurm/etc/plugstack.conf.d/neuron.conf" ] ||
  fail "head: the snippet is not a plain copy"
[ -x "$r/opt/slurm/etc/trn-train-health" ] || fail "head: no HealthCheckProgram script"
expect_contains "$(cat "$r/opt/slurm/etc/trn-train-health")" "exec /usr/bin/trn-train health" "health script"
expect_eq "$(cd "$r" && find . -type f ! -name cfnconfig | sort | tr '\n' ' ')" \
  "./etc/security/limits.d/90-trn-train.conf ./etc/sysctl.d/90-trn-train.conf ./opt/slurm/etc/plugstack.conf ./opt/slurm/etc/plugstack.conf.d/neuron.conf ./opt/slurm/etc/trn-train-health ./usr/share/slurm-spank-neuron/neuron.conf " \
  "files the head node leaves"
calls=$(cat "$r.calls")
grep -q '^dnf install -y .*trn-train-0.1.0.*trn-train-spank-0.1.0' "$r.calls" || fail "head: both RPMs not installed: $calls"
if grep -qE 'aws-neuronx|systemctl' "$r.calls"; then fail "head: installed Neuron or restarted slurmd: $calls"; fi

# Compute node on the head's /opt/slurm: Neuron from AWS's repository, trn-train without
# the plugin, slurmd restarted; not one byte of /opt/slurm changed; twice, same files.
r=$work/compute
mkdir -p "$r/opt" && cp -a "$work/head/opt/slurm" "$r/opt/slurm"
shared=$(snapshot "$r/opt/slurm")
kit "$r" ComputeFleet
first=$(snapshot "$r")
kit "$r" ComputeFleet
expect_contains "$(diff <(echo "$first") <(snapshot "$r") && echo same)" same "the compute node's second run changes nothing"
expect_contains "$(diff <(echo "$shared") <(snapshot "$r/opt/slurm") && echo same)" same "/opt/slurm after the compute node"
expect_eq "$(cd "$r" && find . -type f ! -path './opt/slurm/*' ! -name cfnconfig | sort | tr '\n' ' ')" \
  "./etc/security/limits.d/90-trn-train.conf ./etc/sysctl.d/90-trn-train.conf ./etc/yum.repos.d/neuron.repo " \
  "files the compute node leaves outside /opt/slurm"
expect_contains "$(cat "$r/etc/yum.repos.d/neuron.repo")" "baseurl=https://yum.repos.neuron.amazonaws.com" "Neuron repo"
calls=$(cat "$r.calls")
for want in "rpm --import https://yum.repos.neuron.amazonaws.com/GPG-PUB-KEY-AMAZON-AWS-NEURON.PUB" \
  "dnf install -y aws-neuronx-dkms-2.* aws-neuronx-collectives-2.* aws-neuronx-runtime-lib-2.* aws-neuronx-tools-2.*" \
  "systemctl try-restart slurmd"; do
  expect_contains "$calls" "$want" "compute node's commands"
done
if grep -q 'trn-train-spank' "$r.calls"; then fail "compute node installed the plugin package: $calls"; fi
TRN_NEURON_INSTALL=0 kit "$work/dlami" ComputeFleet
if grep -q 'aws-neuronx' "$work/dlami.calls"; then fail "TRN_NEURON_INSTALL=0 still installed Neuron"; fi

# Existing plugstack.conf lines that already load the snippet folder or the plugin: no
# include added; another folder's include: ours is added.
i=0
while IFS='|' read -r line added; do
  i=$((i + 1)) r=$work/plug$i
  mkdir -p "$r/opt/slurm/etc"
  printf '%s\n' "${line//@S@/$r/opt/slurm}" > "$r/opt/slurm/etc/plugstack.conf"
  kit "$r" HeadNode
  kit "$r" HeadNode
  expect_eq "$(($(includes "$r") - $(grep -c '^include' <<< "$line" || true)))" "$added" \
    "includes added to a plugstack.conf holding '$line': $(cat "$r/opt/slurm/etc/plugstack.conf")"
done <<'CASES'
include   plugstack.conf.d/*|0
include	@S@/etc/plugstack.conf.d/*.conf   # pyxis and friends|0
include ./plugstack.conf.d/neuron.conf|0
required  @S@/lib/slurm/spank_neuron.so root=/|0
include @S@/etc/other.d/*|1
# include @S@/etc/plugstack.conf.d/*|1
CASES
[ ! -e "$work/plug4/opt/slurm/etc/plugstack.conf.d/neuron.conf" ] || fail "a snippet next to a plugstack.conf that loads the plugin"
