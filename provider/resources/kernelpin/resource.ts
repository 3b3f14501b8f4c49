// kernelhardening:index:KernelPackagePin — read -> resolve -> plan -> apply -> verify.
import { Connection, endpoint } from "../../ssh/connection";
import { Ctx } from "../../protocol/contract";
import { defineResource } from "../../framework/define";
import { applyPin, observePin, UnsupportedPackageManager } from "./host";
import {
    KernelPinInputs,
    KernelPinInputsSchema,
    KernelPinObject,
    KernelPinStateSchema,
    ObservedPin,
    PIN_FILE,
    Pins,
    pinsInFile,
} from "./model";
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

type State = { pinnedVersions: Pins; packages?: string[]; version?: string };

const recordedFrom = (olds: State): Recorded => ({
    pins: olds.pinnedVersions,
    packages: olds.packages,
    version: olds.version,
});

async function observe(c: Connection, names: string[]): Promise<ObservedPin> {
    const obs = await observePin(c, [...new Set(names)].sort());
    if (obs.otherPackageManager) throw new UnsupportedPackageManager(endpoint(c), obs.otherPackageManager);
    return obs;
}

/** The pins for these inputs on this host, or one error naming every bad package and version. */
function resolveOrFail(inp: KernelPinInputs, obs: ObservedPin, recorded: Recorded | undefined): Pins {
    const { pins, errors } = resolvePins(inp, obs, recorded);
    if (errors.length) throw new Error(`cannot pin the kernel packages: ${errors.join("; ")}`);
    return pins;
}

/** `old` is the record before this apply: what it pinned and which of those were held before the resource. */
async function applyAndVerify(
    ctx: Ctx,
    inp: KernelPinInputs,
    pins: Pins,
    old: { pins: Pins; previouslyHeld: string[] },
    previouslyHeld: string[],
) {
    // Dropped packages come off hold unless the old record says they were held before us.
    const after = await applyPin(inp.connection, planApply(pins, old.pins, old.previouslyHeld));
    if (after.otherPackageManager)
        throw new UnsupportedPackageManager(endpoint(inp.connection), after.otherPackageManager);
    const bad = unverified(pins, after);
    if (bad.length) throw new Error(`the pins are not in force after apply: ${bad.join("; ")}`);
    const st = stateFromObservation(pins, after, previouslyHeld);
    for (const n of notices(st, after.aptError)) ctx.warn(n);
    return { ...inp, ...st };
}

/** The pins of our preferences file become the inputs (one version for all of them, when they share it). */
async function importPin(ctx: Ctx, connection: Connection) {
    const first = await observe(connection, []);
    const pins = first.pinFile === null ? {} : pinsInFile(first.pinFile);
    if (!Object.keys(pins).length) return undefined;
    const obs = await observe(connection, Object.keys(pins));
    const versions = [...new Set(Object.values(pins))];
    const version = versions.length === 1 ? { version: versions[0] } : {};
    const inputs = KernelPinInputsSchema.parse({ connection, packages: Object.keys(pins), ...version });
    const st = stateFromObservation(pins, obs, nextPreviouslyHeld(pins, {}, [], obs));
    for (const n of notices(st, obs.aptError)) ctx.warn(n);
    return { inputs, outputs: { ...inputs, ...st } };
}

export const kernelPackagePinResource = defineResource({
    token: KERNEL_PIN_TOKEN,
    inputObject: KernelPinObject,
    inputs: KernelPinInputsSchema,
    state: KernelPinStateSchema,
    replaceOnChanges: ["connection"],
    id: (inp) => `${endpoint(inp.connection)}:${PIN_FILE}`,

    // A new pin: the engine calls no Diff before creating it, so its packages and version are
    // checked against the host here (one read), and a bad one fails the preview.
    async checkHost(inp) {
        const { failures } = resolvePins(inp, await observe(inp.connection, inp.packages ?? []), undefined);
        return failures.map((f) => ({ property: f.property, reason: `${f.property}: ${f.message}` }));
    },

    async diff(_ctx, { olds, news }) {
        const rec = recordedFrom(olds);
        const host = { host: olds.connection?.host ?? "", port: olds.connection?.port ?? 22 };
        const changes = diffPin(
            { ...rec, drift: olds.drift, ...host },
            { ...news, host: news.connection.host, port: news.connection.port },
        );
        const replacing = changes.some((c) => c.replace);
        // New packages or a new version: check them against the host now (one read), so a package
        // that is not installed or a version apt does not know fails the preview, not the update.
        if (news.previewReadsHost && (replacing || inputsChanged(rec, news))) {
            const obs = await observe(news.connection, [
                ...(news.packages ?? []),
                ...(replacing ? [] : Object.keys(rec.pins)),
            ]);
            resolveOrFail(news, obs, replacing ? undefined : rec);
        }
        return changes;
    },

    async create(ctx, inp) {
        // Everything is checked before anything is written.
        const before = await observe(inp.connection, inp.packages ?? []);
        const pins = resolveOrFail(inp, before, undefined);
        return applyAndVerify(
            ctx,
            inp,
            pins,
            { pins: {}, previouslyHeld: [] },
            nextPreviouslyHeld(pins, {}, [], before),
        );
    },

    async read(ctx, { id, inputs, olds }) {
        const pins = olds.pinnedVersions;
        if (!Object.keys(pins).length)
            throw new Error(
                `cannot refresh ${id}: no pins are recorded; import needs the resource declared in the program`,
            );
        const obs = await observe(inputs.connection, Object.keys(pins));
        const st = stateFromObservation(pins, obs, olds.previouslyHeld);
        for (const n of notices(st, obs.aptError)) ctx.warn(n);
        return { ...inputs, ...st };
    },

    async update(ctx, { olds, news }) {
        const rec = recordedFrom(olds);
        let pins = rec.pins;
        let before: ObservedPin | undefined;
        // Same inputs: the recorded pins stand and the apply alone restores them (one round trip).
        if (inputsChanged(rec, news) || !Object.keys(pins).length) {
            before = await observe(news.connection, [...(news.packages ?? []), ...Object.keys(rec.pins)]);
            pins = resolveOrFail(news, before, rec);
        }
        const old = { pins: rec.pins, previouslyHeld: olds.previouslyHeld };
        return applyAndVerify(ctx, news, pins, old, nextPreviouslyHeld(pins, rec.pins, olds.previouslyHeld, before));
    },

    async delete(ctx, { id, olds, inputs }) {
        if (!inputs) throw new Error(`cannot delete ${id}: the recorded inputs are not valid`);
        const plan = planDelete(olds.pinnedVersions, olds.previouslyHeld);
        const after = await applyPin(inputs.connection, plan);
        if (after.otherPackageManager) {
            ctx.warn(
                `${endpoint(inputs.connection)} no longer has apt (${after.otherPackageManager}): ` +
                    "there is no pin or hold to remove",
            );
            return;
        }
        const left = [
            ...(after.pinFile !== null ? [`${PIN_FILE} is still there`] : []),
            ...plan.unhold.filter((p) => after.holds.includes(p)).map((p) => `${p} is still on hold`),
        ];
        if (left.length) throw new Error(`the pins were not removed: ${left.join("; ")}`);
        for (const p of olds.previouslyHeld) ctx.info(`${p} stays on hold: it was held before this resource pinned it`);
    },
    import: {
        format: `[user@]host:port:${PIN_FILE}`,
        rest: new RegExp(`^${PIN_FILE.replace(/[.]/g, "\\.")}$`),
        read: importPin,
    },
});
