// The program of every slice: the same code for each stack, only the config differs. The driver
// (driver.ts) sets `hosts` to the slice's hosts and `settings` to the inventory's settings; per host
// it declares a Sysctl drop-in and/or the KernelHardening component. index.ts runs it as a project's
// program (one language host per stack and phase); driver.ts's inline mode calls it in its own process.
import { readFileSync } from "fs";
import * as pulumi from "@pulumi/pulumi";
import * as kh from "../../sdk/nodejs/bin";

interface FleetHost {
    name: string;
    host: string;
    port?: number;
    user?: string;
    hostKey: string;
    sudo?: boolean;
}

interface Settings {
    /** Path of the SSH private key on the machine running Pulumi; read here and kept as a secret. */
    privateKeyPath: string;
    sysctl?: { file: string; entries: Record<string, string>; comment?: string };
    hardening?: { profile?: kh.Profile; allowOneWay?: boolean; overrides?: Record<string, string>; exclude?: string[] };
}

/** Declares the slice's resources; returns the stack's outputs. */
type AuditFailures = Record<string, pulumi.Output<string[] | undefined>>;

export function fleetProgram(): { hostCount: number; auditFailures: AuditFailures } {
    const cfg = new pulumi.Config();
    const hosts = cfg.requireObject<FleetHost[]>("hosts");
    const settings = cfg.requireObject<Settings>("settings");
    // The key is read by the program, not passed through config: it never appears on a command line.
    const privateKey = pulumi.secret(readFileSync(settings.privateKeyPath, "utf8"));

    const hardened: AuditFailures = {};
    for (const h of hosts) {
        const connection: kh.types.input.ConnectionArgs = {
            host: h.host,
            port: h.port ?? 22,
            user: h.user ?? "root",
            privateKey,
            hostKey: h.hostKey,
            sudo: h.sudo,
        };
        if (settings.sysctl) {
            new kh.Sysctl(h.name, { connection, ...settings.sysctl });
        }
        if (settings.hardening) {
            hardened[h.name] = new kh.KernelHardening(h.name, { connection, ...settings.hardening }).auditFailures;
        }
    }
    return { hostCount: hosts.length, auditFailures: hardened };
}
