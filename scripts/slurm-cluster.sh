#!/usr/bin/env bash
# A single-node SLURM cluster for the tests: `slurm-cluster.sh start DIR` writes a munge key and a
# slurm.conf with this machine's real CPU count and memory into DIR, starts munged, slurmctld and
# slurmd (as root, state under DIR), waits until the node is idle and prints `SLURM_CONF=DIR/slurm.conf`;
# `slurm-cluster.sh stop DIR` stops them. Exits non-zero with the reason when anything fails.
set -euo pipefail
action=${1:?start|stop}
dir=${2:?state folder}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

# TERM first; KILL whatever still runs after 5 s (a daemon started from a thread that blocks signals
# inherits that mask and ignores TERM).
stop() {
  local pids=() name pid
  for name in slurmd slurmctld munged; do
    if [ -f "$dir/$name.pid" ]; then
      pid=$(cat "$dir/$name.pid")
      rm -f "$dir/$name.pid"
      kill "$pid" 2>/dev/null && pids+=("$pid") || true
    fi
  done
  for _ in $(seq 1 50); do
    local alive=()
    for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive+=("$pid"); done
    [ "${#alive[@]}" -eq 0 ] && return 0
    sleep 0.1
  done
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
}

if [ "$action" = stop ]; then
  stop
  exit 0
fi

for tool in munged slurmctld slurmd sbatch squeue scontrol; do
  command -v "$tool" >/dev/null || { echo "slurm-cluster: $tool not found (install slurm-wlm and munge)" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "slurm-cluster: must run as root (slurmd runs jobs as their user)" >&2; exit 1; }

stop
mkdir -p "$dir/spool/ctld" "$dir/spool/d" "$dir/log" "$dir/munge"
chmod 700 "$dir/munge"
dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
chmod 400 "$dir/munge/munge.key"
cpus=$(nproc)
memory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
host=$(hostname -s)
cat > "$dir/slurm.conf" <<CONF
ClusterName=cohortex-test
SlurmctldHost=$host
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
ReturnToService=2
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldPort=$(( 20000 + RANDOM % 20000 ))
SlurmdPort=$(( 40000 + RANDOM % 20000 ))
StateSaveLocation=$dir/spool/ctld
SlurmdSpoolDir=$dir/spool/d
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SchedulerType=sched/backfill
SchedulerParameters=sched_interval=1,bf_interval=1
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
MaxArraySize=1001
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MessageTimeout=20
InactiveLimit=0
MinJobAge=300
KillWait=5
Waittime=0
NodeName=$host CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$dir/slurm.conf"
munged --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" --pid-file="$dir/munged.pid" \
  --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munge.seed" --force </dev/null >>"$dir/log/daemons.out" 2>&1 \
  || { echo "slurm-cluster: munged did not start: $(tail -n 3 "$dir/log/munged.log" 2>/dev/null)" >&2; exit 1; }
# The daemons must not inherit our stdout/stderr: a caller reading them until EOF would wait forever.
# slurmctld/slurmd find munge's socket through the default path unless told: point it there.
mkdir -p /run/munge
ln -sf "$dir/munge/munge.socket" /run/munge/munge.socket.2
slurmctld -f "$SLURM_CONF" </dev/null >>"$dir/log/daemons.out" 2>&1 || { echo "slurm-cluster: slurmctld did not start: $(tail -n 5 "$dir/log/slurmctld.log")" >&2; stop; exit 1; }
slurmd -f "$SLURM_CONF" </dev/null >>"$dir/log/daemons.out" 2>&1 || { echo "slurm-cluster: slurmd did not start: $(tail -n 5 "$dir/log/slurmd.log")" >&2; stop; exit 1; }
for _ in $(seq 1 60); do
  state=$(sinfo -h -N -o '%T' 2>/dev/null | head -n 1 || true)
  if [ "$state" = idle ]; then
    echo "SLURM_CONF=$SLURM_CONF"
    exit 0
  fi
  sleep 0.5
done
echo "slurm-cluster: the node did not become idle (state '${state:-none}'): $(tail -n 5 "$dir/log/slurmd.log")" >&2
stop
exit 1
