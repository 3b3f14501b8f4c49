// The KernelPackagePin resource's two remote operations, each one SSH round trip:
//   observe: uname, our preferences file, dpkg's view of the named and of every linux-image-*
//            package, `apt-cache policy` for them, `apt-mark showhold`, the holds we set (HELD_BY_US)
//            and who owns /boot/vmlinuz-*
//   apply:   write or remove the preferences file atomically, hold or un-hold packages (each only
//            where it differs), then observe again so the caller verifies what apt now does.
import { Connection, endpoint } from "../../ssh/connection";
import { HostError } from "../../ssh/pool";
import { runScript } from "../../host/run";
import { b64, encodeRecords, parseRecords, unb64, Record_ } from "../../host/records";
import { shellScript } from "../../host/scripts";
import { parseDpkgQuery, parseImageOwners, parsePolicy, parseShowhold } from "./apt";
import { ApplyPlan, ObservedPin, PIN_FILE } from "./model";

/**
 * The packages this resource put on hold, kept on the host: an apply whose result never reached
 * Pulumi's state (a cut connection) must not make its own holds look like holds set by hand.
 */
export const HELD_BY_US = "/var/lib/kernelhardening/kernelpin/held-by-us";

// The scripts (lib.sh, observe.sh, apply.sh) name PIN_FILE and HELD_BY_US themselves (a unit test
// keeps them equal to these constants).
export const OBSERVE_SCRIPT = shellScript(__dirname, "lib.sh", "observe.sh");

export const APPLY_SCRIPT = shellScript(__dirname, "lib.sh", "apply.sh");

export function parseObserved(records: Record_[]): ObservedPin {
    const obs: ObservedPin = {
        otherPackageManager: null,
        runningKernel: "",
        unameVersion: "",
        pinFile: null,
        packages: {},
        policy: {},
        aptError: null,
        holds: [],
        ours: [],
        images: {},
        changes: [],
    };
    for (const r of records) {
        switch (r[0]) {
            case "nopm":
                obs.otherPackageManager = r[1] || "none";
                break;
            case "uname":
                obs.runningKernel = unb64(r[1] ?? "").trim();
                obs.unameVersion = unb64(r[2] ?? "").trim();
                break;
            case "pinfile":
                obs.pinFile = unb64(r[1] ?? "");
                break;
            case "dpkg":
                obs.packages = { ...obs.packages, ...parseDpkgQuery(unb64(r[1] ?? "")) };
                break;
            case "policy":
                obs.policy = parsePolicy(unb64(r[1] ?? ""));
                obs.aptError = r[2] !== undefined ? unb64(r[2]).trim() || "apt-cache policy failed" : null;
                break;
            case "holds":
                obs.holds = parseShowhold(unb64(r[1] ?? ""));
                break;
            case "ours":
                obs.ours = parseShowhold(unb64(r[1] ?? ""));
                break;
            case "images":
                obs.images = parseImageOwners(unb64(r[1] ?? ""));
                break;
            case "wrote":
            case "removed":
                obs.changes.push(r[0]);
                break;
            case "hold":
            case "unhold":
                obs.changes.push(`${r[0] === "hold" ? "held" : "unheld"} ${r[1]}`);
                break;
        }
    }
    return obs;
}

/** Why a host without apt cannot have this resource. */
export class UnsupportedPackageManager extends HostError {
    constructor(where: string, found: string) {
        super(
            `${where}: unsupported package manager: ${found === "none" ? "no apt/dpkg found" : `this host uses ${found}, not apt`}; KernelPackagePin pins kernels with apt preferences and apt-mark hold (Debian, Ubuntu and their derivatives)`,
        );
    }
}

function failure(c: Connection, what: string, res: { code: number; stderr: string }, out: Record_[]): HostError {
    const failed = out.find((r) => r[0] === "failed");
    if (failed) return new HostError(`${endpoint(c)}: ${what} failed: ${unb64(failed[1] ?? "").trim()}`);
    return new HostError(`${endpoint(c)}: ${what} failed (exit ${res.code}): ${res.stderr.trim().split("\n").slice(-3).join(" ")}`);
}

function observeRecords(names: string[]): Record_[] {
    return names.map((n) => ["P", n]);
}

export async function observePin(c: Connection, names: string[]): Promise<ObservedPin> {
    const res = await runScript(c, OBSERVE_SCRIPT, encodeRecords(observeRecords(names)), "kernelpin.observe");
    const out = parseRecords(res.stdout);
    if (res.code !== 0) throw failure(c, "reading the kernel packages' apt state", res, out);
    return parseObserved(out);
}

export async function applyPin(c: Connection, plan: ApplyPlan): Promise<ObservedPin> {
    const records: Record_[] = [];
    if (plan.content === "delete") records.push(["R"]);
    else if (plan.content !== undefined) records.push(["W", b64(plan.content)]);
    for (const p of plan.hold) records.push(["H", p]);
    for (const p of plan.unhold) records.push(["U", p]);
    records.push(...observeRecords(plan.observe));
    const res = await runScript(c, APPLY_SCRIPT, encodeRecords(records), "kernelpin.apply");
    const out = parseRecords(res.stdout);
    if (res.code !== 0) throw failure(c, `applying ${PIN_FILE} and apt-mark holds`, res, out);
    return parseObserved(out);
}
