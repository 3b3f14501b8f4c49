// HostReboot's remote operations: probe (which boot, what the kernel was booted with), reboot, and
// the wait for the host to come back with the same pinned host key, bounded in time.
import { Connection, endpoint } from "../../ssh/connection";
import { CredentialError, HostError, pool, SshPool } from "../../ssh/pool";
import { parseRecords, unb64 } from "../../host/records";
import { shellScript } from "../../host/scripts";
import { runScript } from "../../host/run";

const PROBE_SCRIPT = () => shellScript(__dirname, "probe.sh");
const REBOOT_SCRIPT = () => shellScript(__dirname, "probe.sh", "reboot.sh");

export interface Probe {
    bootId: string;
    cmdline: string;
    /** /sys/kernel/security/lockdown, null when it cannot be read. */
    lockdown: string | null;
    uptimeSeconds: number;
}

function parseProbe(out: Buffer | string): Probe & { failed?: string; rebooting: boolean } {
    const p: Probe & { failed?: string; rebooting: boolean } = { bootId: "", cmdline: "", lockdown: null, uptimeSeconds: 0, rebooting: false };
    for (const r of parseRecords(out)) {
        const v = unb64(r[1] ?? "");
        if (r[0] === "bootid") p.bootId = v.trim();
        else if (r[0] === "cmdline") p.cmdline = v.trim();
        else if (r[0] === "lockdown") p.lockdown = v.trim();
        else if (r[0] === "uptime") p.uptimeSeconds = Number(v.trim().split(/\s+/)[0]) || 0;
        else if (r[0] === "failed") p.failed = v;
        else if (r[0] === "done" && r[1] === "rebooting") p.rebooting = true;
    }
    return p;
}

export async function probeHost(c: Connection, via: SshPool = pool): Promise<Probe> {
    const res = await runScript(c, PROBE_SCRIPT(), "", "reboot.probe", via);
    if (res.code !== 0) throw new HostError(`${endpoint(c)}: probing the host failed (exit ${res.code}): ${res.stderr.trim().split("\n").slice(-2).join(" ")}`);
    const p = parseProbe(res.stdout);
    if (!p.bootId) throw new HostError(`${endpoint(c)}: the host did not report a boot id (/proc/sys/kernel/random/boot_id)`);
    return p;
}

/** Asks the host to reboot; returns once the request is made (the connection may drop meanwhile). */
export async function requestReboot(c: Connection): Promise<void> {
    try {
        const res = await runScript(c, REBOOT_SCRIPT(), "", "reboot.reboot");
        const p = parseProbe(res.stdout);
        if (p.failed) throw new HostError(`${endpoint(c)}: ${p.failed}`);
        if (res.code !== 0 && !p.rebooting) throw new HostError(`${endpoint(c)}: the reboot command failed (exit ${res.code}): ${res.stderr.trim().split("\n").slice(-2).join(" ")}`);
    } catch (err) {
        // sshd stopping under us after the request went out is the reboot starting.
        if (!(err instanceof HostError) || !/connection was lost|closed/.test(err.message)) throw err;
    } finally {
        pool.forget(c);
    }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The promise, or a HostError after `ms` (a connection that hangs mid-handshake must not stall the wait). */
function withTimeout<T>(p: Promise<T>, ms: number, message: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const t = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new HostError(message)), ms)));
    return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/**
 * Waits until the host answers with another boot id, dialling afresh each time (the old connection
 * died with the old boot) with the same host key verification. A host key that no longer matches
 * fails at once; a host that is not back in time fails naming host:port and the last error.
 */
export async function waitForNewBoot(c: Connection, oldBootId: string, timeoutSeconds: number): Promise<Probe> {
    const now = Date.now;
    const deadline = now() + timeoutSeconds * 1000;
    const dial: Connection = { ...c, dialErrorLimit: 1, perDialTimeout: Math.min(c.perDialTimeout, 20) };
    let last = "the host still runs the boot it had before the reboot";
    await sleep(3000);
    while (now() < deadline) {
        const via = new SshPool(1);
        try {
            const p = await withTimeout(probeHost(dial, via), Math.max(5000, dial.perDialTimeout * 2000), `${endpoint(c)}: no answer within ${dial.perDialTimeout * 2} s`);
            if (p.bootId !== oldBootId) return p;
            last = "the host still runs the boot it had before the reboot";
        } catch (err) {
            if (err instanceof CredentialError) throw new CredentialError(`${endpoint(c)}: after the reboot: ${err.message}`);
            last = err instanceof Error ? err.message : String(err);
        } finally {
            via.closeAll();
        }
        await sleep(3000);
    }
    throw new HostError(`${endpoint(c)}: did not come back within ${timeoutSeconds} s after the reboot (last: ${last})`);
}
