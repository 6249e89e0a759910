# How jobs run. Locally: utils/run.pl. On a cluster, replace with a queue wrapper
# (queue.pl / slurm.pl) taking the same arguments.
export train_cmd="run.pl"
export decode_cmd="run.pl"
