#!/usr/bin/env bash
# Runs build/bench/launcher_inprocess: in-process planning + hostlist expansion of a
# 4096-node step vs one `scontrol show hostnames` process on the same list.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}; case $build in /*) ;; *) build=$top/$build ;; esac
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
# scontrol needs a parseable slurm.conf; a minimal local one (no slurmctld round trip)
# is the most favourable case for scontrol.
printf 'ClusterName=b\nSlurmctldHost=localhost\nNodeName=localhost CPUs=1\nPartitionName=p Nodes=localhost Default=YES\n' >"$work/slurm.conf"
SLURM_CONF=$work/slurm.conf "$build/bench/launcher_inprocess" "$top"
