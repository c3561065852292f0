#!/bin/bash
# ParallelCluster OnNodeConfigured action for trn-train, on the head node and every
# compute node (cluster-config.yaml). Argument: the S3 folder holding the RPMs that
# `./configure --with-slurm=/opt/slurm && make rpm` built against this cluster's Slurm.
#   1. installs trn-train and trn-train-spank (the plugin refuses another Slurm);
#   2. enables the plugin: plugstack.conf includes plugstack.conf.d, which links the
#      packaged snippet (removing the package removes the link: packaging/README.md);
#   3. reserves the site's port ranges, so no ephemeral port takes them;
#   4. on FSx for Lustre, caps each client's dirty cache (the Neuron samples' setting);
#   5. raises the open-file limit for jobs (a 32-worker node opens many).
set -euo pipefail
rpms=${1:?usage: on-node-configured.sh s3://bucket/folder-with-rpms}
slurm_etc=/opt/slurm/etc
# The site's ports (site.yaml ports.master; the plugin's root_comm_port_range).
master_ports=${TRN_MASTER_PORTS:-61000-61999}
root_comm_ports=${TRN_ROOT_COMM_PORTS:-63000-63999}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
aws s3 cp --recursive --exclude '*' --include '*.rpm' "$rpms" "$work/"
dnf install -y "$work"/*.rpm

mkdir -p "$slurm_etc/plugstack.conf.d"
grep -qs "^include $slurm_etc/plugstack.conf.d/\*.conf" "$slurm_etc/plugstack.conf" \
  || echo "include $slurm_etc/plugstack.conf.d/*.conf" >> "$slurm_etc/plugstack.conf"
ln -sfn /usr/share/slurm-spank-neuron/neuron.conf "$slurm_etc/plugstack.conf.d/neuron.conf"

echo "net.ipv4.ip_local_reserved_ports = ${master_ports},${root_comm_ports}" > /etc/sysctl.d/90-trn-train.conf
sysctl -q -p /etc/sysctl.d/90-trn-train.conf

if command -v lctl >/dev/null && grep -qs ' lustre ' /proc/mounts; then
  lctl set_param 'osc.*.max_dirty_mb=64'
fi

cat > /etc/security/limits.d/90-trn-train.conf <<'LIMITS'
*  soft  nofile  1048576
*  hard  nofile  1048576
LIMITS
