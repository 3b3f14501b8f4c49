# The second peer: pyinfra's server.sysctl over the same keys, applied live and persisted in the
# same drop-in. The keys come from the JSON file named by KH_BENCH_ENTRIES (bench.ts writes it).
import json
import os

from pyinfra.operations import server

with open(os.environ["KH_BENCH_ENTRIES"]) as f:
    entries = json.load(f)

for key, value in entries.items():
    server.sysctl(
        name=f"sysctl {key}",
        key=key,
        value=value,
        persist=True,
        persist_file="/etc/sysctl.d/90-bench.conf",
    )
