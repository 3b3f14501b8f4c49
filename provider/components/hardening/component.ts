// kernelhardening:index:KernelHardening — a baseline profile applied to a host in one declaration.
// Served by the provider (construct): its children are this package's own resources.
import * as pulumi from "@pulumi/pulumi";
// The generated SDK, compiled with its own tsconfig (npm run build) and bundled with the provider.
import * as sdk from "../../../sdk/nodejs/bin";
import { ConnectionSchema } from "../../ssh/connection";
import { observeSysctl } from "../../resources/sysctl/host";
import { auditHost } from "../../functions/audit";
import { ConstructResult } from "../../protocol/construct";
import { candidateKeys, HardeningInputs, resolveProfile } from "./profiles";
import { bootParameters, HardeningBootObject } from "../../resources/kernelcmdline/profile";

export const HARDENING_TOKEN = "kernelhardening:index:KernelHardening";

/** The value of an input once known; undefined while unknown (preview). */
async function known<T>(v: unknown): Promise<T | undefined> {
    return (pulumi.output(v) as unknown as { promise(): Promise<T | undefined> }).promise();
}

function inputError(message: string): Error {
    return new pulumi.InputPropertiesError({ message, errors: [] } as never);
}

/**
 * Every input but the connection, as plain values parsed by the component's schema. Structural
 * choices (which children exist) come from them; the connection may stay an Output (it is a secret)
 * and flows into the children as is. The keys come from the schema itself: a list kept by hand here
 * once missed one (rebootTimeoutSeconds, silently left at its default).
 */
const PlainInputs = HardeningBootObject.omit({ connection: true });

export async function plainInputs(inputs: Record<string, unknown>) {
    const plain: Record<string, unknown> = {};
    for (const k of Object.keys(PlainInputs.shape)) plain[k] = await known(inputs[k]);
    const shape = PlainInputs.safeParse(JSON.parse(JSON.stringify(plain)));
    if (!shape.success)
        throw inputError(
            shape.error.issues
                .map((i: { path: PropertyKey[]; message: string }) => `${i.path.join(".")}: ${i.message}`)
                .join("; "),
        );
    return shape;
}

class KernelHardening extends pulumi.ComponentResource {
    private resolveOutputs!: (outputs: pulumi.Inputs) => void;

    constructor(name: string, opts: pulumi.ComponentResourceOptions) {
        super(HARDENING_TOKEN, name, {}, opts);
        // Registered now (the SDK otherwise registers empty outputs on the next tick), resolved once
        // the children exist.
        this.registerOutputs(new Promise<pulumi.Inputs>((resolve) => (this.resolveOutputs = resolve)));
    }

    complete(outputs: pulumi.Inputs): void {
        this.resolveOutputs(outputs);
    }
}

export async function constructKernelHardening(
    name: string,
    inputs: Record<string, unknown>,
    opts: pulumi.ComponentResourceOptions,
): Promise<ConstructResult> {
    const comp = new KernelHardening(name, opts);
    const child = { parent: comp };

    const shape = await plainInputs(inputs);
    const connection = pulumi.output(inputs.connection as pulumi.Input<Record<string, unknown>>);

    // One read of the host tells which profile keys this kernel has.
    // unsecret: the settings are not secret just because the connection that read them is.
    const resolved = pulumi.unsecret(
        connection.apply(async (raw) => {
            const conn = ConnectionSchema.parse(raw);
            const inp: HardeningInputs = { ...shape.data, connection: conn } as HardeningInputs;
            const obs = await observeSysctl(conn, inp.sysctlFile, candidateKeys(inp));
            const supported = new Set(
                Object.entries(obs.live)
                    .filter(([, v]) => v !== null)
                    .map(([k]) => k),
            );
            const profile = resolveProfile(inp, supported, obs.live);
            if (profile.leftAlone.length)
                pulumi.log.info(`left alone, the host is already stricter: ${profile.leftAlone.join(", ")}`, comp);
            if (profile.unsupportedKeys.length)
                pulumi.log.warn(
                    `this kernel has no ${profile.unsupportedKeys.join(", ")}: reported in unsupportedKeys, not set`,
                    comp,
                );
            if (profile.skippedOneWay.length)
                pulumi.log.warn(
                    `left out without allowOneWay (they cannot be undone before a reboot): ${profile.skippedOneWay.join(", ")}`,
                    comp,
                );
            if (profile.oneWayApplied.length)
                pulumi.log.info(
                    `one-way settings, not reversible before a reboot: ${profile.oneWayApplied.join(", ")}`,
                    comp,
                );
            return profile;
        }),
    );

    const sysctl = new sdk.Sysctl(
        `${name}-sysctl`,
        {
            connection: connection as never,
            file: shape.data.sysctlFile,
            entries: resolved.entries,
            comment: `KernelHardening ${name}: profile ${shape.data.profile}`,
            allowOneWayKeys: shape.data.allowOneWay,
        },
        child,
    );
    const applied: pulumi.Resource[] = [sysctl];

    let lockdownLevel: pulumi.Output<string | undefined> = pulumi.output(undefined);
    let rebootRequired: pulumi.Output<boolean> = pulumi.output(false);
    if (shape.data.allowOneWay) {
        const lockdown = new sdk.Lockdown(
            `${name}-lockdown`,
            { connection: connection as never, mode: shape.data.lockdownMode },
            child,
        );
        lockdownLevel = lockdown.currentLevel;
        rebootRequired = lockdown.rebootRequired;
        applied.push(lockdown);
    }
    if (shape.data.kernelPin) {
        const pin = new sdk.KernelPackagePin(
            `${name}-kernel-pin`,
            { connection: connection as never, ...shape.data.kernelPin },
            child,
        );
        rebootRequired = pulumi.all([rebootRequired, pin.rebootRequired]).apply(([a, b]) => a || !!b);
        applied.push(pin);
    }

    if (shape.data.moduleBlocklist?.length) {
        applied.push(
            new sdk.ModuleBlocklist(
                `${name}-module-blocklist`,
                { connection: connection as never, modules: shape.data.moduleBlocklist },
                child,
            ),
        );
    }

    // Boot-time hardening: the profile's kernel parameters, and the reboot that brings them in force.
    const boot = bootParameters(shape.data);
    const watched: pulumi.Output<boolean>[] = [rebootRequired];
    let cmdline: sdk.KernelCmdline | undefined;
    if (Object.keys(boot).length) {
        cmdline = new sdk.KernelCmdline(
            `${name}-cmdline`,
            { connection: connection as never, parameters: boot, allowOneWay: shape.data.allowOneWay },
            child,
        );
        watched.push(cmdline.rebootRequired);
        rebootRequired = pulumi.all([rebootRequired, cmdline.rebootRequired]).apply(([a, b]) => a || !!b);
        applied.push(cmdline);
    }
    if (shape.data.reboot === "ifRequired") {
        const expectLockdown = shape.data.allowOneWay ? shape.data.lockdownMode : undefined;
        applied.push(
            new sdk.HostReboot(
                `${name}-reboot`,
                {
                    connection: connection as never,
                    rebootRequired: watched,
                    expectCmdline: cmdline?.parameters,
                    expectLockdown,
                    timeoutSeconds: shape.data.rebootTimeoutSeconds,
                },
                { ...child, dependsOn: [...applied] },
            ),
        );
    }

    // The audit runs after every child applied; a preview has nothing applied yet.
    const ids = applied.map((r) => (r as pulumi.CustomResource).id);
    const audit = pulumi.unsecret(
        pulumi
            .all([connection, pulumi.all(ids)])
            .apply(async ([raw]) => (pulumi.runtime.isDryRun() ? undefined : auditHost(ConnectionSchema.parse(raw)))),
    );

    const state = {
        profile: shape.data.profile,
        sysctlEntries: resolved.entries,
        unsupportedKeys: resolved.unsupportedKeys,
        skippedOneWay: resolved.skippedOneWay,
        oneWayApplied: resolved.oneWayApplied,
        leftAlone: resolved.leftAlone,
        lockdownLevel,
        rebootRequired,
        bootParameters: boot,
        auditSummary: audit.apply((a) => a?.summary),
        auditFailures: audit.apply((a) =>
            a?.findings.filter((f) => f.status === "fail").map((f) => `${f.id}: ${f.fix}`),
        ),
    };
    comp.complete(state);
    return { urn: comp.urn, state };
}
