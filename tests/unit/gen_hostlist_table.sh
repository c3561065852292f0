#!/bin/sh
# Prints kScontrolTable rows for tests/unit/common_hostlist_test.cc by asking the
# installed Slurm (`scontrol show hostnames`) what each expression expands to.
# Usage: tests/unit/gen_hostlist_table.sh 'a[1-3]' 'n[001-003]' ...
set -u
conf=$(mktemp -d)
trap 'rm -rf "$conf"' EXIT
printf 'ClusterName=hl\nSlurmctldHost=localhost\nNodeName=localhost CPUs=1\nPartitionName=p Nodes=localhost Default=YES\n' >"$conf/slurm.conf"
export SLURM_CONF="$conf/slurm.conf"
for e in "$@"; do
  out=$(scontrol show hostnames "$e" 2>&1)
  if printf '%s' "$out" | grep -q 'Invalid\|error'; then
    printf '    {"%s", false, {}},\n' "$e"
  else
    printf '    {"%s", true, {' "$e"; sep=""
    printf '%s\n' "$out" | while IFS= read -r h; do [ -n "$h" ] && printf '%s"%s"' "$sep" "$h" && sep=", "; done
    printf '}},\n'
  fi
done
