# The benchmark chart: median wall time per tool, one panel per scenario, one group of bars per
# fleet size and latency, with the SSH floor as a marker. Log scale: the tools differ by 10x+.
# Also chart-vs-n.png: time against N per scenario, with the OpenSSH floor and the fixed cost (an
# `up` of a stack with no resources).
#   .venv/bin/python chart.py results.json chart.png
import json
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

res = json.load(open(sys.argv[1]))
samples = res["samples"]
tools = [t for t in res["opts"]["tools"] if any(s["tool"] == t for s in samples)]
configs = sorted({(s["n"], s["latency"]) for s in samples})
scenarios = [("first", "first apply"), ("noop", "no-op re-apply"), ("plan", "plan after drift (10 % of hosts)")]
colors = {"ours": "#1f77b4", "ansible": "#d62728", "pyinfra": "#2ca02c"}
labels = {"ours": "ours (pulumi)", "ansible": "Ansible", "pyinfra": "pyinfra"}

fig, axes = plt.subplots(1, 3, figsize=(16, 5.5), sharey=True)
width = 0.8 / len(tools)
for ax, (scen, title) in zip(axes, scenarios):
    for i, t in enumerate(tools):
        ys = []
        for n, lat in configs:
            w = [s["wall"] for s in samples if s["tool"] == t and s["scenario"] == scen and s["n"] == n and s["latency"] == lat]
            ys.append(statistics.median(w) if w else float("nan"))
        xs = [k + (i - (len(tools) - 1) / 2) * width for k in range(len(configs))]
        bars = ax.bar(xs, ys, width, color=colors.get(t), label=labels.get(t, t))
        ax.bar_label(bars, labels=["" if y != y else f"{y:.1f}" for y in ys], fontsize=7, padding=1)
    kind = "apply" if scen == "first" else "observe"
    fl = []
    for n, lat in configs:
        w = [f["wall"] for f in res["floors"] if f["n"] == n and f["latency"] == lat and f["kind"] == kind]
        fl.append(statistics.median(w) if w else float("nan"))
    ax.scatter(range(len(configs)), fl, marker="_", s=900, color="black", zorder=3, label="SSH floor")
    ax.set_xticks(range(len(configs)))
    ax.set_xticklabels([f"N={n}\n{lat} ms" for n, lat in configs])
    ax.set_yscale("log")
    ax.set_xlim(-0.5, len(configs) - 0.5)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: f"{v:g}" if f"{v:g}"[0] in "25" else ""))
    ax.set_title(title)
    ax.grid(axis="y", which="both", alpha=0.3)
axes[0].set_ylabel("wall time, median (s, log scale)")
axes[0].legend(loc="upper left")
fig.suptitle("Kernel sysctls on a simulated fleet: 30 net.* keys per host (latency = added one-way delay)")
fig.tight_layout()
fig.savefig(sys.argv[2], dpi=110)

# Time against N, one panel per scenario of ours (at the highest latency), Ansible's comparable run
# and the OpenSSH floor (per phase, times the scenario's phases) beside it: where each one bends.
lat = max(lat for _, lat in configs)
ns = sorted({n for n, l in configs if l == lat})
phases = {"noop": 1, "noop-up": 2, "plan": 2, "preview": 1, "first": 1, "onestack": 1, "manystacks": 1}
peer_of = {"noop-up": "noop", "preview": "plan", "onestack": "noop", "manystacks": "noop"}
present = [s for s in phases if any(x["tool"] == "ours" and x["scenario"] == s and not x.get("variant") for x in samples)]


fx = [f["wall"] for f in res.get("fixed", []) if f["what"] == "pulumi up, stack with no resources, program precompiled"]
if res["opts"].get("program") == "ts" or not fx:
    fx = [f["wall"] for f in res.get("fixed", []) if f["what"] == "pulumi up, stack with no resources"]
fixed_up = statistics.median(fx) if fx else float("nan")


def med(tool, scen, n):
    w = [x["wall"] for x in samples if x["tool"] == tool and x["scenario"] == scen and x["n"] == n and x["latency"] == lat and not x.get("variant")]
    return statistics.median(w) if w else float("nan")


fig2, axes2 = plt.subplots(1, len(present), figsize=(4 * len(present), 4.5), sharey=True, squeeze=False)
for ax, scen in zip(axes2[0], present):
    ax.plot(ns, [med("ours", scen, n) for n in ns], "o-", color=colors["ours"], label="ours")
    for t in tools:
        if t != "ours":
            ax.plot(ns, [med(t, peer_of.get(scen, scen), n) for n in ns], "s--", color=colors.get(t), label=labels.get(t, t))
    fl = []
    for n in ns:
        w = [f["wall"] for f in res["floors"] if f["n"] == n and f["latency"] == lat and f["kind"] == "openssh"]
        fl.append(phases[scen] * statistics.median(w) if w else float("nan"))
    ax.plot(ns, fl, "k:", label="OpenSSH floor × phases")
    # The fixed cost no host adds: an `up` of a stack with no resources, times the scenario's phases.
    if fixed_up == fixed_up:
        ax.plot(ns, [phases[scen] * fixed_up] * len(ns), color="grey", linestyle="-.", label="empty stack `up` × phases")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("hosts (N)")
    ax.set_title(scen, fontsize=9)
    ax.grid(which="both", alpha=0.3)
axes2[0][0].set_ylabel(f"wall time, median (s), {lat} ms one way")
axes2[0][0].legend(loc="upper left", fontsize=7)
fig2.tight_layout()
fig2.savefig(sys.argv[2].replace(".png", "-vs-n.png"), dpi=100)
