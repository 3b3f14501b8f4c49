// kernelhardening:index:KernelPackagePin — read -> resolve -> plan -> apply -> verify, wired to the
// provider contract.
import { Connection, ConnectionSchema, endpoint } from "../../ssh/connection";
import { Ctx, DiffResult, Props, ResourceHandler, zodFailures } from "../types";
import { connectionSecretPaths } from "../common";
import { applyPin, observePin, ObservedPin, UnsupportedPackageManager } from "./host";
import { KernelPinInputs, KernelPinInputsSchema, KernelPinObject, PIN_FILE, Pins } from "./model";
import {
    diffPin,
    inputsChanged,
    nextPreviouslyHeld,
    notices,
    planApply,
    planDelete,
    Recorded,
    resolvePins,
    stateFromObservation,
    unverified,
} from "./plan";

export const KERNEL_PIN_TOKEN = "kernelhardening:index:KernelPackagePin";

function parseInputs(p: Props): KernelPinInputs {
    return KernelPinInputsSchema.parse(p);
}

function idFor(inp: KernelPinInputs): string {
    return `${endpoint(inp.connection)}:${PIN_FILE}`;
}

function recordedFrom(olds: Props): Recorded {
    return {
        pins: (olds.pinnedVersions ?? {}) as Pins,
        packages: (olds.packages ?? undefined) as string[] | undefined,
        version: (olds.version ?? undefined) as string | undefined,
    };
}

async function observe(c: Connection, names: string[]): Promise<ObservedPin> {
    const obs = await observePin(c, [...new Set(names)].sort());
    if (obs.otherPackageManager) throw new UnsupportedPackageManager(endpoint(c), obs.otherPackageManager);
    return obs;
}

/** The pins for these inputs on this host, or one error naming every bad package and version. */
function resolveOrFail(inp: KernelPinInputs, obs: ObservedPin, recorded: Recorded | undefined): Pins {
    const { pins, errors } = resolvePins(inp, obs, recorded);
    if (errors.length) throw new Error(`${endpoint(inp.connection)}: cannot pin the kernel packages: ${errors.join("; ")}`);
    return pins;
}

/** `old` is the record before this apply: what it pinned and which of those were held before the resource. */
async function applyAndVerify(ctx: Ctx, inp: KernelPinInputs, pins: Pins, old: { pins: Pins; previouslyHeld: string[] }, previouslyHeld: string[]): Promise<Props> {
    // Dropped packages come off hold unless the old record says they were held before us.
    const after = await applyPin(inp.connection, planApply(pins, old.pins, old.previouslyHeld));
    if (after.otherPackageManager) throw new UnsupportedPackageManager(endpoint(inp.connection), after.otherPackageManager);
    const bad = unverified(pins, after);
    if (bad.length) throw new Error(`${endpoint(inp.connection)}: the pins are not in force after apply: ${bad.join("; ")}`);
    const st = stateFromObservation(pins, after, previouslyHeld);
    for (const n of notices(st, after.aptError)) ctx.warn(n);
    return { ...inp, ...st };
}

export const kernelPackagePinResource: ResourceHandler = {
    token: KERNEL_PIN_TOKEN,
    secretPaths: connectionSecretPaths,
    // As for Sysctl: the engine refreshes before an update, so `pulumi preview` shows a lifted hold
    // or an edited file without --refresh; previewReadsHost: false keeps previews offline.
    refreshBeforeUpdate: (outputs) => outputs.previewReadsHost !== false,

    async check(news, unknownProps, olds) {
        const known: Props = { ...news };
        // Unknown values (preview) are checked once they are known.
        for (const p of unknownProps) delete known[p];
        const schema = unknownProps.size ? KernelPinObject.partial() : KernelPinInputsSchema;
        const r = schema.safeParse(known);
        if (!r.success) return { inputs: news, failures: zodFailures(r.error.issues) };
        const inputs = { ...(r.data as Props), ...Object.fromEntries([...unknownProps].map((p) => [p, news[p]])) };
        // A new pin: the engine calls no Diff before creating it, so its packages and version are
        // checked against the host here (one read), and a bad one fails the preview.
        if (!unknownProps.size && Object.keys(olds).length === 0) {
            const inp = r.data as KernelPinInputs;
            if (inp.previewReadsHost) {
                const { errors } = resolvePins(inp, await observe(inp.connection, inp.packages ?? []), undefined);
                if (errors.length) return { inputs, failures: errors.map((e) => ({ property: /version/.test(e) && inp.version ? "version" : "packages", reason: `${/version/.test(e) && inp.version ? "version" : "packages"}: ${e}` })) };
            }
        }
        return { inputs, failures: [] };
    },

    async diff(_ctx, { olds, news, unknownProps }): Promise<DiffResult> {
        if (unknownProps.size) {
            // Still unknown: show what may change, never touch a host.
            return { changes: [...unknownProps].map((p) => ({ path: p, kind: "update" as const, replace: p === "connection" })), deleteBeforeReplace: true };
        }
        const want = parseInputs(news);
        const oldConn = ConnectionSchema.safeParse(olds.connection);
        const rec = recordedFrom(olds);
        const changes = diffPin(
            {
                ...rec,
                drift: (olds.drift ?? {}) as Record<string, string>,
                host: oldConn.success ? oldConn.data.host : "",
                port: oldConn.success ? oldConn.data.port : 22,
            },
            { ...want, host: want.connection.host, port: want.connection.port },
        );
        const replacing = changes.some((c) => c.replace);
        // New packages or a new version: check them against the host now (one read), so a package
        // that is not installed or a version apt does not know fails the preview, not the update.
        if (want.previewReadsHost && (replacing || inputsChanged(rec, want))) {
            const obs = await observe(want.connection, [...(want.packages ?? []), ...(replacing ? [] : Object.keys(rec.pins))]);
            resolveOrFail(want, obs, replacing ? undefined : rec);
        }
        return { changes, deleteBeforeReplace: true };
    },

    async create(ctx, inputs) {
        const inp = parseInputs(inputs);
        // Everything is checked before anything is written.
        const before = await observe(inp.connection, inp.packages ?? []);
        const pins = resolveOrFail(inp, before, undefined);
        return { id: idFor(inp), outputs: await applyAndVerify(ctx, inp, pins, { pins: {}, previouslyHeld: [] }, nextPreviouslyHeld(pins, {}, [], before)) };
    },

    async read(ctx, { id, outputs, inputs }) {
        const source = Object.keys(inputs).length ? inputs : outputs;
        const parsed = KernelPinInputsSchema.safeParse(pickInputs(source));
        if (!parsed.success) throw new Error(`cannot refresh ${id}: the recorded inputs are not valid (${parsed.error.issues[0]?.message}); import needs the resource declared in the program`);
        const pins = recordedFrom(outputs).pins;
        if (!Object.keys(pins).length) throw new Error(`cannot refresh ${id}: no pins are recorded; import needs the resource declared in the program`);
        const inp = parsed.data;
        const obs = await observe(inp.connection, Object.keys(pins));
        const st = stateFromObservation(pins, obs, (outputs.previouslyHeld ?? []) as string[]);
        for (const n of notices(st, obs.aptError)) ctx.warn(n);
        return { id, outputs: { ...inp, ...st }, inputs: pickInputs(source) };
    },

    async update(ctx, { olds, news }) {
        const inp = parseInputs(news);
        const rec = recordedFrom(olds);
        const oldPreviouslyHeld = (olds.previouslyHeld ?? []) as string[];
        let pins = rec.pins;
        let before: ObservedPin | undefined;
        // Same inputs: the recorded pins stand and the apply alone restores them (one round trip).
        if (inputsChanged(rec, inp) || !Object.keys(pins).length) {
            before = await observe(inp.connection, [...(inp.packages ?? []), ...Object.keys(rec.pins)]);
            pins = resolveOrFail(inp, before, rec);
        }
        return applyAndVerify(ctx, inp, pins, { pins: rec.pins, previouslyHeld: oldPreviouslyHeld }, nextPreviouslyHeld(pins, rec.pins, oldPreviouslyHeld, before));
    },

    async delete(ctx, { outputs }) {
        const inp = parseInputs(pickInputs(outputs));
        const pins = recordedFrom(outputs).pins;
        const previouslyHeld = (outputs.previouslyHeld ?? []) as string[];
        const plan = planDelete(pins, previouslyHeld);
        const after = await applyPin(inp.connection, plan);
        if (after.otherPackageManager) {
            ctx.warn(`${endpoint(inp.connection)} no longer has apt (${after.otherPackageManager}): there is no pin or hold to remove`);
            return;
        }
        const left = [...(after.pinFile !== null ? [`${PIN_FILE} is still there`] : []), ...plan.unhold.filter((p) => after.holds.includes(p)).map((p) => `${p} is still on hold`)];
        if (left.length) throw new Error(`${endpoint(inp.connection)}: the pins were not removed: ${left.join("; ")}`);
        for (const p of previouslyHeld) ctx.info(`${p} stays on hold: it was held before this resource pinned it`);
    },
};

const INPUT_KEYS = ["connection", "packages", "version", "previewReadsHost"];

function pickInputs(p: Props): Props {
    return Object.fromEntries(Object.entries(p).filter(([k, v]) => INPUT_KEYS.includes(k) && v !== undefined && v !== null));
}
