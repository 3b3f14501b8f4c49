// KernelPackagePin inputs, the Debian name and version grammars, and the apt preferences file this
// resource owns. Pure functions only.
import { z } from "zod/v4";
import { ConnectionSchema } from "../../ssh/connection";
import type { DpkgPackage, PolicyEntry } from "./apt";

export const PIN_DIR = "/etc/apt/preferences.d";
/** One file per host: apt reads every file in preferences.d, so two of ours would fight. */
export const PIN_FILE = `${PIN_DIR}/kernelhardening-kernel-pin.pref`;
/** Above 1000 a pin wins even over an installed newer version: apt never moves away from it. */
export const PIN_PRIORITY = 1001;

// Debian Policy 5.6.1: at least two characters, lowercase letters, digits, + - . , starting with
// a letter or digit. No architecture qualifier: the pin and the hold apply to the package name.
const PACKAGE_NAME = /^[a-z0-9][a-z0-9+.-]+$/;

// Debian Policy 5.6.12: [epoch:]upstream_version[-debian_revision]. The upstream version starts
// with a digit; a hyphen is allowed only because the last one splits off the revision, so the
// version must not end in one. No colon without an epoch, and none of apt's pattern characters.
const DEB_VERSION = /^(?:[0-9]+:)?[0-9][A-Za-z0-9.+~-]*$/;

export function isPackageName(s: string): boolean {
    return s.length <= 253 && PACKAGE_NAME.test(s);
}

export function isDebianVersion(s: string): boolean {
    return s.length <= 256 && DEB_VERSION.test(s) && !s.endsWith("-");
}

export const PackageName = z
    .string()
    .refine(isPackageName, "must be a Debian package name: lowercase letters, digits, + - and ., at least two characters, starting with a letter or digit (e.g. linux-image-cloud-amd64)");

export const DebianVersion = z
    .string()
    .refine(isDebianVersion, "must be a Debian version, [epoch:]upstream[-revision], e.g. 6.1.176-1 (see apt-cache policy)");

export const KernelPinObject = z
    .object({
        connection: ConnectionSchema,
        /** Packages to pin; default: the installed kernel meta-package(s) and the image package(s) they depend on. */
        packages: z
            .array(PackageName)
            .min(1, "must name at least one package (leave it out to pin the installed kernel)")
            .max(64)
            .superRefine((pkgs, ctx) => {
                const seen = new Set<string>();
                pkgs.forEach((p, i) => {
                    if (seen.has(p)) ctx.addIssue({ code: "custom", path: [i], message: `${p} is listed twice` });
                    seen.add(p);
                });
            })
            .optional(),
        /** Version to pin every package to; default: the version installed when the package is first pinned. */
        version: DebianVersion.optional(),
        /** Let `pulumi preview` read the host to show drift and check packages (off: previews never connect). */
        previewReadsHost: z.boolean().default(true),
    })
    .strict();

export const KernelPinInputsSchema = KernelPinObject.transform((inp) => ({
    ...inp,
    // Sorted, so reordering the list is not a change.
    packages: inp.packages ? [...inp.packages].sort() : undefined,
}));

export type KernelPinInputs = z.output<typeof KernelPinInputsSchema>;

const Versions = z.record(z.string(), z.string().nullable());

/** What is recorded in state: the inputs echoed and the outputs (plan.ts PinState). */
export const KernelPinStateSchema = z.looseObject({
    connection: ConnectionSchema.optional().catch(undefined),
    packages: z.array(z.string()).optional(),
    version: z.string().optional(),
    pinnedVersions: z.record(z.string(), z.string()).default({}),
    held: z.record(z.string(), z.boolean()).optional(),
    installedVersions: Versions.optional(),
    candidateVersions: Versions.optional(),
    runningKernel: z.string().optional(),
    pinnedKernels: z.array(z.string()).optional(),
    rebootRequired: z.boolean().optional(),
    unpinnedKernels: z.array(z.object({ package: z.string(), version: z.string().nullable(), release: z.string() })).optional(),
    pinFile: z.string().optional(),
    pinFileContent: z.string().nullable().optional(),
    previouslyHeld: z.array(z.string()).default([]),
    drift: z.record(z.string(), z.string()).default({}),
});

/** Package -> version, sorted by package name. */
export type Pins = Record<string, string>;

export function sortPins(p: Pins): Pins {
    return Object.fromEntries(Object.entries(p).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The exact bytes of the preferences file pinning these packages. */
export function renderPinFile(pins: Pins): string {
    const lines = [
        "# Managed by Pulumi (kernelhardening:index:KernelPackagePin). Edits made here are reverted by `pulumi up`.",
        "# These packages are also on hold (apt-mark showhold); move them by changing the resource.",
    ];
    const stanzas = Object.entries(sortPins(pins)).map(([pkg, ver]) => `Package: ${pkg}\nPin: version ${ver}\nPin-Priority: ${PIN_PRIORITY}\n`);
    return lines.join("\n") + "\n" + stanzas.join("\n");
}

/** The pins of a preferences file (apt_preferences(5) stanzas `Package`, `Pin: version`, `Pin-Priority`). */
export function pinsInFile(text: string): Pins {
    const pins: Pins = {};
    for (const stanza of text.split(/\n\s*\n/)) {
        const field = (name: string) => new RegExp(`^${name}:[ \\t]*(.+?)\\s*$`, "mi").exec(stanza)?.[1];
        const pkg = field("Package");
        const version = /^version\s+(\S+)$/.exec(field("Pin") ?? "")?.[1];
        if (pkg && version && isPackageName(pkg) && isDebianVersion(version) && Number(field("Pin-Priority")) >= PIN_PRIORITY) {
            pins[pkg] = version;
        }
    }
    return sortPins(pins);
}

// What observe and apply exchange with the host (host.ts) and planning (plan.ts) works on.
export interface ObservedPin {
    /** Set when the host lacks apt/dpkg: the package manager found instead, or "none". */
    otherPackageManager: string | null;
    /** `uname -r` and `uname -v`. */
    runningKernel: string;
    unameVersion: string;
    /** Content of our preferences file, or null when it does not exist. */
    pinFile: string | null;
    packages: Record<string, DpkgPackage>;
    policy: Record<string, PolicyEntry>;
    /** What apt printed on stderr when `apt-cache policy` failed (a broken preferences file, say). */
    aptError: string | null;
    holds: string[];
    /** Packages this resource put on hold, as recorded on the host (HELD_BY_US). */
    ours: string[];
    /** Kernel release -> packages owning /boot/vmlinuz-<release>. */
    images: Record<string, string[]>;
    /** After an apply: "wrote", "removed", "held <pkg>", "unheld <pkg>". */
    changes: string[];
}

export interface ApplyPlan {
    /** File content to ensure (written only when it differs), "delete" to remove it, or undefined to leave it. */
    content?: string | "delete";
    /** Packages to put on hold where they are not. */
    hold: string[];
    /** Packages to take off hold where they are on it. */
    unhold: string[];
    /** Packages to report on afterwards. */
    observe: string[];
}
