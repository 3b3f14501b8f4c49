// Pure planning for KernelCmdline: observed boot configuration + desired parameters -> the steps of
// an apply, the state to record, what differs and what is still waiting for a reboot.
import { canonicalName, sameValue } from "../../kernel/cmdline";
import { BootChoice, detectBoot, Override, planPersist, planRemove, reportBoot } from "../../boot/model";
import { PropertyChange, mapPath } from "../../protocol/contract";
import { KclStep, ObservedKcl } from "./host";
import { CMDLINE_DROPIN, KERNEL_CMDLINE_TOKEN, KernelCmdlineInputs, LIVE_PARAMS, liveWanted } from "./model";

export interface KclState {
    persistence: BootChoice["kind"];
    persistedIn: string;
    /** Exact content of our drop-in (GRUB) or of /etc/kernel/cmdline; null when missing. */
    persistedContent: string | null;
    /** Each parameter as our persistence gives it to the next boot (present only when every boot entry carries it). */
    persisted: Record<string, string>;
    /** Each parameter as the next boot's kernel will see it (another setting may win: see overriddenBy). */
    nextBoot: Record<string, string>;
    /** Each parameter on the running kernel's command line (/proc/cmdline); absent ones are missing. */
    inForce: Record<string, string>;
    /** Run-time values of the live-applicable parameters (module.sig_enforce: "1" or "0"). */
    live: Record<string, string>;
    /** Parameters persisted but not in force yet: they take effect at the next boot. */
    pendingReboot: string[];
    rebootRequired: boolean;
    overriddenBy: Override[];
    cmdline: string;
    /** kernel-cmdline: the values /etc/kernel/cmdline had before we set them (null: absent), restored on delete. */
    previousValues: Record<string, string | null>;
}

export function choose(obs: ObservedKcl): BootChoice {
    const c = detectBoot(obs.boot, CMDLINE_DROPIN);
    if ("error" in c) throw new Error(c.error);
    return c;
}

/** The run-time value of a live-applicable parameter, or undefined. */
function liveValue(obs: ObservedKcl, name: string): string | undefined {
    const spec = LIVE_PARAMS[canonicalName(name)];
    const raw = obs.live[canonicalName(name)];
    return spec && raw !== undefined ? spec.live(raw) : undefined;
}

type Previous = Record<string, string | null>;

export function stateFromObservation(
    params: Record<string, string>,
    obs: ObservedKcl,
    previousValues: Previous,
): KclState {
    const choice = choose(obs);
    const rep = reportBoot(obs.boot, choice, params, CMDLINE_DROPIN);
    const persisted: Record<string, string> = {};
    const nextBoot: Record<string, string> = {};
    const inForce: Record<string, string> = {};
    const live: Record<string, string> = {};
    const pendingReboot: string[] = [];
    for (const [name, want] of Object.entries(params)) {
        const r = rep.params[name];
        if (r.persisted !== undefined && rep.inBootEntries) persisted[name] = r.persisted;
        if (r.nextBoot !== undefined) nextBoot[name] = r.nextBoot;
        if (r.inForce !== undefined) inForce[name] = r.inForce;
        const lv = liveValue(obs, name);
        if (lv !== undefined) live[name] = lv;
        const running = sameValue(r.inForce, want) || lv === want;
        if (!running && sameValue(r.nextBoot, want)) pendingReboot.push(name);
    }
    return {
        persistence: choice.kind,
        persistedIn: choice.path,
        persistedContent: rep.content,
        persisted,
        nextBoot,
        inForce,
        live,
        pendingReboot: pendingReboot.sort(),
        rebootRequired: pendingReboot.length > 0,
        overriddenBy: rep.overriddenBy,
        cmdline: obs.boot.cmdline,
        previousValues: choice.kind === "kernel-cmdline" ? previousValues : {},
    };
}

export interface ApplyPlan {
    steps: KclStep[];
    previousValues: Record<string, string | null>;
}

/** Steps that make our persistence exact, and raise the live-applicable parameters when opted in. */
export function planApply(inp: Pick<KernelCmdlineInputs, "parameters" | "allowOneWay">, obs: ObservedKcl, recorded: { parameters?: Record<string, string>; previousValues?: Record<string, string | null> }): ApplyPlan {
    const choice = choose(obs);
    const dropped = Object.keys(recorded.parameters ?? {}).filter((n) => !(n in inp.parameters));
    const p = planPersist(
        obs.boot, choice, KERNEL_CMDLINE_TOKEN, CMDLINE_DROPIN, inp.parameters, recorded.previousValues, dropped,
    );
    const steps: KclStep[] = [...p.steps];
    for (const n of liveWanted(inp)) {
        if (obs.live[canonicalName(n)] === undefined) throw new Error(`${LIVE_PARAMS[canonicalName(n)].path} does not exist: this kernel cannot apply ${n} at run time (set allowOneWay: false to only persist it)`);
        if (liveValue(obs, n) !== inp.parameters[n]) steps.push({ op: "live-sig-enforce" });
    }
    return { steps, previousValues: p.previous };
}

export function planDelete(obs: ObservedKcl, params: Record<string, string>, previousValues: Previous): KclStep[] {
    return planRemove(obs.boot, CMDLINE_DROPIN, Object.keys(params), previousValues);
}

/** What is not as desired after an apply, or [] when the host is right. */
export function unverified(inp: Pick<KernelCmdlineInputs, "parameters" | "allowOneWay">, st: KclState): string[] {
    const bad: string[] = [];
    for (const [n, v] of Object.entries(inp.parameters)) {
        if (st.persisted[n] === undefined || !sameValue(st.persisted[n], v)) bad.push(`${st.persistedIn} does not give the next boot ${n}${v === "" ? "" : `=${v}`}`);
    }
    for (const n of liveWanted(inp)) if (st.live[n] !== inp.parameters[n]) bad.push(`${n} is ${st.live[n] ?? "unknown"} at run time, wanted ${inp.parameters[n]}`);
    return bad;
}

export interface RecordedKcl {
    parameters: Record<string, string>;
    persisted: Record<string, string>;
    persistence?: BootChoice["kind"];
    persistedContent: string | null;
    live: Record<string, string>;
    host: string;
    port: number;
}

/** Changes between what is recorded (refreshed from the host) and what is desired. */
export function diffKcl(old: RecordedKcl, want: Pick<KernelCmdlineInputs, "parameters" | "allowOneWay"> & { host: string; port: number }): PropertyChange[] {
    const changes: PropertyChange[] = [];
    if (old.host !== want.host) changes.push({ path: "connection.host", kind: "update", replace: true });
    if (old.port !== want.port) changes.push({ path: "connection.port", kind: "update", replace: true });
    for (const [n, v] of Object.entries(want.parameters)) {
        const had = old.parameters[n];
        if (had === undefined) changes.push({ path: mapPath("parameters", n), kind: "add" });
        else if (had !== v) changes.push({ path: mapPath("parameters", n), kind: "update" });
        else if (old.persisted[n] === undefined || !sameValue(old.persisted[n], v)) changes.push({ path: mapPath("persisted", n), kind: old.persisted[n] === undefined ? "add" : "update" });
    }
    for (const n of Object.keys(old.parameters)) if (!(n in want.parameters)) changes.push({ path: mapPath("parameters", n), kind: "delete" });
    for (const n of liveWanted(want)) if (old.live[n] !== undefined && old.live[n] !== want.parameters[n] && !changes.length) changes.push({ path: mapPath("live", n), kind: "update" });
    return changes;
}

/** Why the boot configuration does not give the next boot our parameters (shown in previews). */
export function driftWarning(
    old: { persisted?: Record<string, string>; persistedIn?: string; parameters?: Record<string, string> },
    want: Record<string, string>,
): string | undefined {
    if (!old.persistedIn || !old.parameters) return undefined;
    const missing = Object.entries(want)
        .filter(([n, v]) => old.parameters![n] === v && !sameValue(old.persisted?.[n], v))
        .map(([n]) => n);
    if (!missing.length) return undefined;
    return `${old.persistedIn} does not give the next boot ${missing.join(", ")} (the boot configuration was changed by hand?); \`pulumi up\` restores it`;
}
