// Pure planning for KernelPackagePin: observed host state + desired inputs -> which packages and
// versions to pin (or why not), what differs, what to do, and the outputs to record. No I/O here,
// so every rule is unit-tested.
import { debianBuildOf } from "./apt";
import { ApplyPlan, ObservedPin, PIN_FILE, PIN_PRIORITY, Pins, renderPinFile, sortPins } from "./model";
import { mapPath, PropertyChange } from "../../protocol/contract";

export interface KernelImage {
    package: string;
    version: string | null;
    /** The kernel release it installs (/boot/vmlinuz-<release>), as `uname -r` prints it. */
    release: string;
}

/** What the provider records in state (besides the inputs it echoes). */
export interface PinState {
    /** Package -> version this resource pins; defaults are resolved once and kept until the inputs change. */
    pinnedVersions: Pins;
    /** Per pinned package: whether it is on hold (apt-mark showhold). */
    held: Record<string, boolean>;
    installedVersions: Record<string, string | null>;
    /** What apt would install for each package (apt-cache policy); the pinned version while the pin is in force. */
    candidateVersions: Record<string, string | null>;
    runningKernel: string;
    /** Kernel releases of the pinned image packages, directly or through a pinned meta-package. */
    pinnedKernels: string[];
    rebootRequired: boolean;
    unpinnedKernels: KernelImage[];
    pinFile: string;
    /** Exact content of the preferences file, or null when it is missing. */
    pinFileContent: string | null;
    /** Pinned packages that were on hold before this resource held them; delete leaves them held. */
    previouslyHeld: string[];
    /** How the host falls short of the pins: package -> "not on hold", the file's path -> "missing" or "edited by hand". */
    drift: Record<string, string>;
}

export const NOT_HELD = "not on hold";

/** What an update would repair: holds lifted and the preferences file removed or changed by hand. */
export function driftOf(pins: Pins, obs: Pick<ObservedPin, "holds" | "pinFile">): Record<string, string> {
    const drift: Record<string, string> = {};
    for (const pkg of Object.keys(pins)) if (!obs.holds.includes(pkg)) drift[pkg] = NOT_HELD;
    if (Object.keys(pins).length && obs.pinFile !== renderPinFile(pins)) drift[PIN_FILE] = obs.pinFile === null ? "missing" : "edited by hand";
    return drift;
}

/** The inputs pins are resolved from; absent means the default. */
type Want = { packages?: string[]; version?: string };

/** What an earlier apply recorded: the pins and the inputs they were resolved from. */
export interface Recorded {
    pins: Pins;
    packages?: string[];
    version?: string;
}

const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort();

/** Installed package -> kernel release, for every package that owns a /boot/vmlinuz-*. */
export function installedImages(obs: ObservedPin): Map<string, string> {
    const out = new Map<string, string>();
    for (const [release, pkgs] of Object.entries(obs.images)) {
        for (const p of pkgs) if (obs.packages[p]?.installed) out.set(p, release);
    }
    return out;
}

/**
 * The kernel the host has now: every installed linux-image-* meta-package (one that owns no
 * vmlinuz but depends on an installed image package) and the image packages it depends on; on a
 * host without a meta-package, the image package of the running kernel.
 */
export function defaultPackages(obs: ObservedPin): { packages: string[]; error?: string } {
    const images = installedImages(obs);
    const picked: string[] = [];
    for (const p of Object.values(obs.packages)) {
        if (!p.installed || !p.name.startsWith("linux-image-") || images.has(p.name)) continue;
        const deps = p.depends.filter((d) => images.has(d));
        if (deps.length) picked.push(p.name, ...deps);
    }
    if (picked.length) return { packages: sorted(picked) };
    const running = [...images].filter(([, release]) => release === obs.runningKernel).map(([p]) => p);
    if (running.length) return { packages: sorted(running) };
    return {
        packages: [],
        error: `no installed package provides the running kernel ${obs.runningKernel} and no kernel meta-package (linux-image-*) is installed; name the packages to pin in packages`,
    };
}

function versionsApt(obs: ObservedPin, pkg: string): string[] {
    const fromPolicy = obs.policy[pkg]?.versions.map((v) => v.version) ?? [];
    const installed = obs.packages[pkg]?.installed ? obs.packages[pkg].version : null;
    return installed && !fromPolicy.includes(installed) ? [...fromPolicy, installed] : fromPolicy;
}

function describeVersions(obs: ObservedPin, pkg: string): string {
    const installed = obs.packages[pkg]?.installed ? obs.packages[pkg].version : null;
    const list = versionsApt(obs, pkg).map((v) => (v === installed ? `${v} (installed)` : v));
    return list.length ? list.join(", ") : "none";
}

export interface Resolved {
    pins: Pins;
    errors: string[];
    /** The errors with the input each is about. */
    failures: Array<{ property: "packages" | "version"; message: string }>;
}

/**
 * The pins wanted on this host, or why they cannot be set. Defaults are taken from the record when
 * the inputs they came from are unchanged, so a pin never follows the host by itself: packages
 * left out keep the packages found at creation, a version left out keeps the version installed
 * when each package was first pinned.
 */
export function resolvePins(want: Want, obs: ObservedPin, recorded?: Recorded): Resolved {
    const failures: Resolved["failures"] = [];
    const errors = { push: (message: string, property: "packages" | "version" = "packages") => failures.push({ property, message }) };
    let packages: string[];
    if (want.packages) packages = want.packages;
    else if (recorded && recorded.packages === undefined && Object.keys(recorded.pins).length) packages = Object.keys(recorded.pins);
    else {
        const d = defaultPackages(obs);
        if (d.error) return { pins: {}, errors: [d.error], failures: [{ property: "packages", message: d.error }] };
        packages = d.packages;
    }
    const pins: Pins = {};
    for (const pkg of sorted(packages)) {
        const dpkg = obs.packages[pkg];
        if (!dpkg?.installed) {
            const known = versionsApt(obs, pkg);
            errors.push(
                known.length
                    ? `${pkg} is not installed (apt has ${known.join(", ")}); install the version to pin first`
                    : `${pkg} is not installed and apt knows no package of that name`,
            );
            continue;
        }
        const version =
            want.version ??
            (recorded && recorded.version === undefined && recorded.pins[pkg] !== undefined ? recorded.pins[pkg] : dpkg.version!);
        if (!versionsApt(obs, pkg).includes(version)) {
            // A version the user gave is blamed on `version`; one kept from the record, on the packages.
            errors.push(`apt knows no version ${version} of ${pkg}; available: ${describeVersions(obs, pkg)}`, want.version ? "version" : "packages");
            continue;
        }
        pins[pkg] = version;
    }
    return { pins: sortPins(pins), errors: failures.map((f) => f.message), failures };
}

/** The image packages the pins cover: pinned directly, or a dependency of a pinned meta-package. */
function pinnedImagePackages(pins: Pins, obs: ObservedPin): Map<string, string> {
    const images = installedImages(obs);
    const out = new Map<string, string>();
    for (const pkg of Object.keys(pins)) {
        if (images.has(pkg)) out.set(pkg, images.get(pkg)!);
        else for (const d of obs.packages[pkg]?.depends ?? []) if (images.has(d)) out.set(d, images.get(d)!);
    }
    return out;
}

/**
 * Whether the running kernel is one of the pinned ones: the same release and, where the kernel
 * names its Debian build in `uname -v`, the same package version (a same-ABI update replaces the
 * files under the running kernel, which keeps running the old build until a reboot).
 */
export function runsPinnedKernel(pins: Pins, obs: ObservedPin): { pinnedKernels: string[]; rebootRequired: boolean } {
    const images = pinnedImagePackages(pins, obs);
    const pinnedKernels = sorted(images.values());
    if (!pinnedKernels.length) return { pinnedKernels, rebootRequired: false };
    const build = debianBuildOf(obs.unameVersion);
    const running = [...images].some(([pkg, release]) => release === obs.runningKernel && (build === null || obs.packages[pkg]?.version === build));
    return { pinnedKernels, rebootRequired: !running };
}

/** Turns an observation into recorded state for these pins. */
export function stateFromObservation(pins: Pins, obs: ObservedPin, previouslyHeld: string[]): PinState {
    const held: Record<string, boolean> = {};
    const installedVersions: Record<string, string | null> = {};
    const candidateVersions: Record<string, string | null> = {};
    for (const pkg of Object.keys(pins)) {
        held[pkg] = obs.holds.includes(pkg);
        installedVersions[pkg] = obs.packages[pkg]?.installed ? obs.packages[pkg].version : null;
        candidateVersions[pkg] = obs.policy[pkg]?.candidate ?? null;
    }
    const covered = pinnedImagePackages(pins, obs);
    const unpinnedKernels: KernelImage[] = [...installedImages(obs)]
        .filter(([pkg]) => !covered.has(pkg))
        .map(([pkg, release]) => ({ package: pkg, version: obs.packages[pkg]?.version ?? null, release }))
        .sort((a, b) => (a.release < b.release ? -1 : a.release > b.release ? 1 : 0));
    return {
        pinnedVersions: sortPins(pins),
        held,
        installedVersions,
        candidateVersions,
        runningKernel: obs.runningKernel,
        ...runsPinnedKernel(pins, obs),
        unpinnedKernels,
        pinFile: PIN_FILE,
        pinFileContent: obs.pinFile,
        previouslyHeld: sorted(previouslyHeld.filter((p) => p in pins)),
        drift: driftOf(pins, obs),
    };
}

/** What a user should know about a converged host: these never fail an apply. */
export function notices(st: PinState, aptError: string | null): string[] {
    const out: string[] = [];
    for (const [pkg, v] of Object.entries(st.pinnedVersions)) {
        const inst = st.installedVersions[pkg];
        if (inst !== null && inst !== undefined && inst !== v) {
            out.push(`${pkg}: ${v} is pinned but ${inst} is installed; the hold keeps ${inst} until you run apt-get install --allow-change-held-packages ${pkg}=${v}`);
        }
    }
    if (st.rebootRequired) out.push(`the running kernel ${st.runningKernel} is not the pinned kernel (${st.pinnedKernels.join(", ")}): reboot to run it`);
    if (st.unpinnedKernels.length) {
        out.push(`kernel images installed but not pinned, which the boot loader may start: ${st.unpinnedKernels.map((k) => `${k.package} ${k.version ?? ""} (${k.release})`.replace("  ", " ")).join(", ")}`);
    }
    if (aptError) out.push(`apt-cache policy reports: ${aptError}`);
    return out;
}

/** Why the host does not do what the pins say after an apply; empty when it does. */
export function unverified(pins: Pins, obs: ObservedPin): string[] {
    const bad: string[] = [];
    if (obs.aptError) bad.push(`apt-cache policy failed: ${obs.aptError}`);
    if (obs.pinFile !== renderPinFile(pins)) bad.push(`${PIN_FILE} does not hold the pins`);
    for (const [pkg, version] of Object.entries(pins)) {
        if (!obs.holds.includes(pkg)) bad.push(`${pkg} is not on hold`);
        const entry = obs.policy[pkg];
        const v = entry?.versions.find((x) => x.version === version);
        if (!v || v.priority < PIN_PRIORITY) bad.push(`apt does not pin ${pkg} to ${version} (priority ${v ? v.priority : "none"})`);
        else if (entry!.candidate !== version) bad.push(`apt's candidate for ${pkg} is ${entry!.candidate ?? "none"}, not ${version}: another preference outranks the pin`);
    }
    return bad;
}

/** What the state and the inputs it came from say; compared with the inputs now. */
export interface RecordedState extends Recorded {
    drift: Record<string, string>;
    host: string;
    port: number;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

function inputChange(path: string, old: unknown, want: unknown): PropertyChange[] {
    if (same(old, want)) return [];
    return [{ path, kind: old === undefined || old === null ? "add" : want === undefined || want === null ? "delete" : "update" }];
}

/** Whether the inputs the pins are resolved from changed (then diff and update read the host). */
export function inputsChanged(old: Recorded, want: Want): boolean {
    return !same(old.packages, want.packages) || !same(old.version, want.version);
}

/**
 * Property changes between what is recorded (refreshed from the host) and what is desired. The host
 * identifies the resource (one preferences file per host), so changing it replaces the resource,
 * deleting first: the old resource's delete would otherwise un-hold the new one's packages.
 */
export function diffPin(old: RecordedState, want: Want & { host: string; port: number }): PropertyChange[] {
    const changes: PropertyChange[] = [];
    if (old.host !== want.host) changes.push({ path: "connection.host", kind: "update", replace: true });
    if (old.port !== want.port) changes.push({ path: "connection.port", kind: "update", replace: true });
    changes.push(...inputChange("packages", old.packages, want.packages), ...inputChange("version", old.version, want.version));
    // Drift, as the last refresh found it. The engine shows a change's old value from the state and
    // its new one from the inputs, which have no drift: "- drift: {...}" reads as the drift the
    // update removes.
    for (const what of Object.keys(old.drift)) changes.push({ path: mapPath("drift", what), kind: "delete" });
    return changes;
}

/** Steps that bring the host to `pins`; packages the resource no longer pins come off hold unless they were held before it. */
export function planApply(pins: Pins, oldPins: Pins, previouslyHeld: string[]): ApplyPlan {
    const dropped = Object.keys(oldPins).filter((p) => !(p in pins));
    return {
        content: renderPinFile(pins),
        hold: Object.keys(pins),
        unhold: dropped.filter((p) => !previouslyHeld.includes(p)),
        observe: sorted([...Object.keys(pins), ...dropped]),
    };
}

/** Steps that undo the resource: our preferences file removed, our holds lifted, nothing else. */
export function planDelete(pins: Pins, previouslyHeld: string[]): ApplyPlan {
    return { content: "delete", hold: [], unhold: Object.keys(pins).filter((p) => !previouslyHeld.includes(p)), observe: Object.keys(pins) };
}

/**
 * Which pinned packages were on hold before this resource held them: kept from earlier applies for
 * packages already pinned; for new ones, those the host shows on hold that its record of our own
 * holds does not list (so an apply whose result was lost does not count its holds as someone else's).
 */
export function nextPreviouslyHeld(pins: Pins, oldPins: Pins, oldPreviouslyHeld: string[], before: Pick<ObservedPin, "holds" | "ours"> | undefined): string[] {
    return sorted(Object.keys(pins).filter((p) => (p in oldPins ? oldPreviouslyHeld.includes(p) : !!before && before.holds.includes(p) && !before.ours.includes(p))));
}
