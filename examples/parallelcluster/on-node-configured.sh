#!/bin/bash
# ParallelCluster OnNodeConfigured action for trn-train (cluster-config.yaml runs it on the
# head node and on every compute node). Argument: the S3 folder holding the RPMs that
# `./configure --with-slurm=/opt/slurm && make rpm` built against this cluster's Slurm.
#
# ParallelCluster exports /opt/slurm from the head node over NFS, so what lives there is
# written once, by the head node, never by the compute nodes (concurrent edits of the
# shared Slurm folder race, and `rpm -e` of the plugin on any one node would delete it
# for the whole cluster). By role (cfn_node_type in /etc/parallelcluster/cfnconfig):
#   HeadNode:     installs trn-train and trn-train-spank (the plugin lands in
#                 /opt/slurm/lib/slurm, shared); copies the plugin's snippet into
#                 /opt/slurm/etc/plugstack.conf.d/ and includes that folder from
#                 plugstack.conf unless a line already loads it; writes the
#                 HealthCheckProgram script /opt/slurm/etc/trn-train-health.
#   ComputeFleet: installs the Neuron driver, runtime, collectives and tools from AWS's
#                 Neuron yum repository (TRN_NEURON_INSTALL=0 skips it on an image that
#                 has them) and trn-train (local tools, not the plugin); restarts slurmd
#                 so it loads the plugin the head node enabled.
#   every node:   reserves the site's port ranges, caps FSx for Lustre's dirty cache per
#                 client, raises the open-file limit for jobs.
# Run again, it changes nothing (every file is rewritten with the same text, the include is
# added once). Outside ParallelCluster (HyperPod lifecycle scripts), TRN_NODE_TYPE=HeadNode
# or ComputeFleet names the role. TRN_KIT_ROOT (default /) and SLURM_PREFIX (default
# /opt/slurm) move every path the kit writes, for its test (tests/scripts/test_package_parallelcluster.sh).
set -euo pipefail
rpms=${1:?usage: on-node-configured.sh s3://bucket/folder-with-rpms}
root=${TRN_KIT_ROOT:-}
slurm_prefix=${SLURM_PREFIX:-/opt/slurm}
slurm_etc=$slurm_prefix/etc
# The site's ports (site.yaml ports.master; the plugin's root_comm_port_range).
master_ports=${TRN_MASTER_PORTS:-61000-61999}
root_comm_ports=${TRN_ROOT_COMM_PORTS:-63000-63999}

say() { echo "trn-train kit: $*"; }

node_type() {
  if [ -n "${TRN_NODE_TYPE:-}" ]; then echo "$TRN_NODE_TYPE"; return; fi
  sed -n 's/^cfn_node_type=//p' "$root/etc/parallelcluster/cfnconfig" 2>/dev/null | tr -d '"' | head -1
}

# put FILE MODE: stdin into FILE, only when the text differs (run twice, nothing changes).
put() {
  local file=$1 mode=$2 text
  text=$(cat)
  mkdir -p "$(dirname "$file")"
  if [ ! -f "$file" ] || [ "$(cat "$file")" != "$text" ]; then printf '%s\n' "$text" > "$file.tmp.$$" && mv "$file.tmp.$$" "$file"; fi
  chmod "$mode" "$file"
}

# Whether plugstack.conf (arg 1) includes the snippet folder (arg 2): an `include GLOB` line
# (any spacing; a relative GLOB is taken from plugstack.conf's folder, as Slurm takes it)
# whose folder is the snippet folder and whose pattern matches neuron.conf.
plugstack_includes() {
  local conf=$1 dir=$2 word arg glob
  while read -r word arg _; do
    if [ "$word" != include ] || [ -z "$arg" ]; then continue; fi
    case "$arg" in /*) glob=$arg ;; *) glob=$(dirname "$conf")/$arg ;; esac
    while [[ $glob == *"/./"* ]]; do glob=${glob//\/.\//\/}; done
    # shellcheck disable=SC2053
    [ "$(dirname "$glob")" = "$dir" ] && [[ neuron.conf == $(basename "$glob") ]] && return 0
  done < <(sed 's/#.*//' "$conf" 2>/dev/null)
  return 1
}

# Whether plugstack.conf (arg 1) loads the plugin itself: a `required|optional
# .../spank_neuron.so` line (plugstack.conf(5)); then a snippet would load it twice.
plugstack_names_plugin() {
  sed 's/#.*//' "$1" 2>/dev/null | grep -qE '^[[:space:]]*(required|optional)[[:space:]]+[^[:space:]]*spank_neuron\.so([[:space:]]|$)'
}

fetch_rpms() {  # the RPMs into $work
  aws s3 cp --recursive --exclude '*' --include '*.rpm' "$rpms" "$work/"
}

head_node() {
  fetch_rpms
  dnf install -y "$work"/*.rpm
  local snippets=$slurm_etc/plugstack.conf.d conf=$slurm_etc/plugstack.conf
  if plugstack_names_plugin "$conf"; then
    say "$conf loads spank_neuron.so itself: no snippet added"
  else
    # A copy, not a link: the packaged snippet exists only where the package is (this node),
    # and compute nodes read plugstack.conf.d over NFS.
    put "$snippets/neuron.conf" 0644 < "$root/usr/share/slurm-spank-neuron/neuron.conf"
    if ! plugstack_includes "$conf" "$snippets"; then
      echo "include $snippets/*.conf" >> "$conf"
      say "$conf now includes $snippets/*.conf"
    fi
  fi
  # slurm.conf's HealthCheckProgram (CustomSlurmSettings): slurmd passes no arguments. A
  # node still being configured (no trn-train yet) is not judged.
  put "$slurm_etc/trn-train-health" 0755 <<'EOF'
#!/bin/sh
# Written by trn-train's on-node-configured.sh: slurm.conf's HealthCheckProgram (trn-train(1), health).
[ -x /usr/bin/trn-train ] || exit 0
exec /usr/bin/trn-train health
EOF
}

install_neuron() {
  [ "${TRN_NEURON_INSTALL:-1}" = 1 ] || { say "TRN_NEURON_INSTALL=0: Neuron packages left as the image has them"; return; }
  # AWS's documented Neuron setup for Amazon Linux 2023 (Neuron docs, "Setup Guide").
  put "$root/etc/yum.repos.d/neuron.repo" 0644 <<'EOF'
[neuron]
name=Neuron YUM Repository
baseurl=https://yum.repos.neuron.amazonaws.com
enabled=1
metadata_expire=0
EOF
  rpm --import https://yum.repos.neuron.amazonaws.com/GPG-PUB-KEY-AMAZON-AWS-NEURON.PUB
  dnf install -y "kernel-devel-uname-r = $(uname -r)"
  dnf install -y 'aws-neuronx-dkms-2.*' 'aws-neuronx-collectives-2.*' 'aws-neuronx-runtime-lib-2.*' 'aws-neuronx-tools-2.*'
}

compute_node() {
  install_neuron
  fetch_rpms
  # trn-train only: trn-train-spank installs into the shared /opt/slurm (the head node's).
  local tools=()
  for f in "$work"/trn-train-[0-9]*.rpm; do [ -e "$f" ] && tools+=("$f"); done
  [ ${#tools[@]} -gt 0 ] || { echo "trn-train kit: no trn-train-<version>.rpm in $rpms" >&2; exit 1; }
  dnf install -y "${tools[@]}"
  # slurmd loads the plugin the head node enabled when it starts.
  systemctl try-restart slurmd
}

every_node() {
  put "$root/etc/sysctl.d/90-trn-train.conf" 0644 <<< "net.ipv4.ip_local_reserved_ports = ${master_ports},${root_comm_ports}"
  sysctl -q -p "$root/etc/sysctl.d/90-trn-train.conf"
  if command -v lctl >/dev/null && grep -qs ' lustre ' /proc/mounts; then lctl set_param 'osc.*.max_dirty_mb=64'; fi
  put "$root/etc/security/limits.d/90-trn-train.conf" 0644 <<'EOF'
*  soft  nofile  1048576
*  hard  nofile  1048576
EOF
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
type=$(node_type)
case "$type" in
  HeadNode) head_node ;;
  ComputeFleet) compute_node ;;
  *) echo "trn-train kit: unknown node type '$type' (cfn_node_type in $root/etc/parallelcluster/cfnconfig, or TRN_NODE_TYPE): HeadNode or ComputeFleet" >&2; exit 1 ;;
esac
every_node
say "$type configured"
