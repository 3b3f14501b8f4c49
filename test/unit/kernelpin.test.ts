import { debianBuildOf, parseDepends, parseDpkgQuery, parseImageOwners, parsePolicy, parseShowhold } from "../../provider/resources/kernelpin/apt";
import { APPLY_SCRIPT, HELD_BY_US, OBSERVE_SCRIPT, parseObserved } from "../../provider/resources/kernelpin/host";
import { ObservedPin } from "../../provider/resources/kernelpin/model";
import { isDebianVersion, isPackageName, KernelPinInputsSchema, PIN_FILE, renderPinFile } from "../../provider/resources/kernelpin/model";
import {
    defaultPackages,
    diffPin,
    driftOf,
    inputsChanged,
    nextPreviouslyHeld,
    notices,
    planApply,
    planDelete,
    RecordedState,
    resolvePins,
    runsPinnedKernel,
    stateFromObservation,
    unverified,
} from "../../provider/resources/kernelpin/plan";
import { zodFailures } from "../../provider/protocol/contract";
import { b64 } from "../../provider/host/records";
import { SH_PRELUDE } from "../../provider/host/shell";

const META = "linux-image-cloud-amd64";
const IMAGE = "linux-image-6.1.0-50-cloud-amd64";
const V = "6.1.176-1";
const NEWER = "6.1.176-1+kh1";

// Captured from the Debian 12 test VM (LC_ALL=C), before and after pinning, with a local repository
// carrying a newer meta-package.
const DPKG = [
    `${IMAGE}\t${V}\tii \tkmod, linux-base (>= 4.3~), initramfs-tools (>= 0.120+deb8u2) | linux-initramfs-tool`,
    `${IMAGE}-unsigned\t\tun \t`,
    `${META}\t${V}\tii \t${IMAGE} (= ${V})`,
].join("\n");

const POLICY_REPO = `${META}:
  Installed: ${V}
  Candidate: ${NEWER}
  Version table:
     ${NEWER} 500
        500 file:/srv/repo ./ Packages
 *** ${V} 100
        100 /var/lib/dpkg/status
${IMAGE}:
  Installed: ${V}
  Candidate: ${V}
  Version table:
 *** ${V} 100
        100 /var/lib/dpkg/status
`;

const POLICY_PINNED = `${META}:
  Installed: ${V}
  Candidate: ${V}
  Version table:
     ${NEWER} 500
        500 file:/srv/repo ./ Packages
 *** ${V} 1001
        100 /var/lib/dpkg/status
${IMAGE}:
  Installed: ${V}
  Candidate: ${V}
  Version table:
 *** ${V} 1001
        100 /var/lib/dpkg/status
`;

const UNAME_V = `#1 SMP PREEMPT_DYNAMIC Debian ${V} (2026-07-02)`;

function observed(p: Partial<ObservedPin> = {}): ObservedPin {
    return {
        otherPackageManager: null,
        runningKernel: "6.1.0-50-cloud-amd64",
        unameVersion: UNAME_V,
        pinFile: null,
        packages: parseDpkgQuery(DPKG),
        policy: parsePolicy(POLICY_REPO),
        aptError: null,
        holds: [],
        ours: [],
        images: { "6.1.0-50-cloud-amd64": [IMAGE] },
        changes: [],
        ...p,
    };
}

const PINS = { [IMAGE]: V, [META]: V };

describe("names and versions", () => {
    test.each([META, IMAGE, "g++", "libc6", "a0", "linux-image-6.1.0-50-cloud-amd64-unsigned"])("%s is a package name", (n) => {
        expect(isPackageName(n)).toBe(true);
    });
    test.each(["", "a", "Linux-image", "-x", ".x", "linux_image", "x y", "x;reboot", "$(id)", "x:amd64", "x\ny"])("%j is not a package name", (n) => {
        expect(isPackageName(n)).toBe(false);
    });
    test.each([V, NEWER, "1:2.30-3", "30+20221128-1", "2.36", "1.0~rc1-2~bpo12+1", "0"])("%s is a Debian version", (v) => {
        expect(isDebianVersion(v)).toBe(true);
    });
    test.each(["", "latest", "v6.1", "1.0-", ":1.0", "a:1.0", "1:", "6.1 -1", "6.1*", "/6.1/", "1.0\n", "1_0"])("%j is not a Debian version", (v) => {
        expect(isDebianVersion(v)).toBe(false);
    });
});

describe("check", () => {
    const conn = { host: "10.0.0.1" };
    function failures(input: unknown) {
        const r = KernelPinInputsSchema.safeParse(input);
        return r.success ? [] : zodFailures(r.error.issues);
    }

    test("defaults, and packages sorted so their order is not a change", () => {
        const r = KernelPinInputsSchema.parse({ connection: conn, packages: [META, IMAGE] });
        expect(r.packages).toEqual([IMAGE, META]);
        expect(r.version).toBeUndefined();
        expect(r.previewReadsHost).toBe(true);
        expect(KernelPinInputsSchema.parse({ connection: conn }).packages).toBeUndefined();
    });

    test("names the property of every bad input", () => {
        expect(failures({ connection: conn, packages: [META, "Linux_Image"] })).toEqual([
            { property: "packages[1]", reason: expect.stringMatching(/^packages\[1\]: must be a Debian package name/) },
        ]);
        expect(failures({ connection: conn, version: "latest" })[0]).toEqual({ property: "version", reason: expect.stringMatching(/^version: must be a Debian version/) });
        expect(failures({ connection: conn, packages: [] })[0].reason).toMatch(/^packages: must name at least one package/);
        expect(failures({ connection: conn, packages: [META, META] })[0]).toEqual({ property: "packages[1]", reason: `packages[1]: ${META} is listed twice` });
        expect(failures({ connection: { host: "h; reboot" } })[0].property).toBe("connection.host");
        expect(failures({ connection: conn, extra: 1 })[0].reason).toMatch(/Unrecognized key/);
        expect(failures({ packages: [META] })[0].property).toBe("connection");
    });
});

describe("preferences file", () => {
    test("one stanza per package, sorted, at priority 1001 under a header", () => {
        expect(renderPinFile({ [META]: V, [IMAGE]: V })).toBe(
            "# Managed by Pulumi (kernelhardening:index:KernelPackagePin). Edits made here are reverted by `pulumi up`.\n" +
                "# These packages are also on hold (apt-mark showhold); move them by changing the resource.\n" +
                `Package: ${IMAGE}\nPin: version ${V}\nPin-Priority: 1001\n\n` +
                `Package: ${META}\nPin: version ${V}\nPin-Priority: 1001\n`,
        );
        expect(PIN_FILE).toBe("/etc/apt/preferences.d/kernelhardening-kernel-pin.pref");
    });
});

describe("parsing apt and dpkg", () => {
    test("apt-cache policy: installed, candidate, every version with its priority and sources", () => {
        const p = parsePolicy(POLICY_PINNED);
        expect(Object.keys(p)).toEqual([META, IMAGE]);
        expect(p[META]).toEqual({
            installed: V,
            candidate: V,
            versions: [
                { version: NEWER, priority: 500, installed: false, sources: ["500 file:/srv/repo ./ Packages"] },
                { version: V, priority: 1001, installed: true, sources: ["100 /var/lib/dpkg/status"] },
            ],
        });
        const none = parsePolicy("foo:\n  Installed: (none)\n  Candidate: 2.0-1\n  Version table:\n     2.0-1 500\n        500 http://deb.debian.org/debian bookworm/main amd64 Packages\n");
        expect(none.foo.installed).toBeNull();
        expect(none.foo.versions).toEqual([{ version: "2.0-1", priority: 500, installed: false, sources: ["500 http://deb.debian.org/debian bookworm/main amd64 Packages"] }]);
        // apt prints nothing at all for a name it does not know
        expect(parsePolicy("")).toEqual({});
        // arch-qualified names and apt's older "Package pin:" line
        const q = parsePolicy("libfoo:i386:\n  Installed: 1-1\n  Candidate: 1-1\n  Package pin: 1-1\n  Version table:\n *** 1-1 1001\n        100 /var/lib/dpkg/status\n");
        expect(q["libfoo:i386"].versions[0]).toMatchObject({ version: "1-1", priority: 1001, installed: true });
    });

    test("dpkg-query: status, versions and dependency names", () => {
        const d = parseDpkgQuery(DPKG);
        expect(d[META]).toEqual({ name: META, version: V, status: "ii", installed: true, depends: [IMAGE] });
        expect(d[`${IMAGE}-unsigned`]).toMatchObject({ version: null, status: "un", installed: false });
        expect(d[IMAGE].depends).toEqual(["kmod", "linux-base", "initramfs-tools", "linux-initramfs-tool"]);
        expect(parseDpkgQuery("a\t1\thi \t\nb\t2\trc \t\n")).toMatchObject({ a: { installed: true, status: "hi" }, b: { installed: false } });
        expect(parseDepends("a (>= 1) [amd64], b:any | c (= 2), a")).toEqual(["a", "b", "c"]);
    });

    test("apt-mark showhold", () => {
        expect(parseShowhold(`${META}\n${IMAGE}\n`)).toEqual([IMAGE, META]);
        expect(parseShowhold("")).toEqual([]);
    });

    test("dpkg-query -S: kernel release -> owners, diversions skipped", () => {
        expect(
            parseImageOwners(
                `${IMAGE}: /boot/vmlinuz-6.1.0-50-cloud-amd64\ndiversion by x from: /boot/vmlinuz-9\nlinux-image-6.1.0-99-cloud-amd64, other: /boot/vmlinuz-6.1.0-99-cloud-amd64\n`,
            ),
        ).toEqual({ "6.1.0-50-cloud-amd64": [IMAGE], "6.1.0-99-cloud-amd64": ["linux-image-6.1.0-99-cloud-amd64", "other"] });
    });

    test("uname -v names the Debian build; other distributions' do not", () => {
        expect(debianBuildOf(UNAME_V)).toBe(V);
        expect(debianBuildOf("#101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023")).toBeNull();
    });

    test("script records become an observation", () => {
        const obs = parseObserved([
            ["uname", b64("6.1.0-50-cloud-amd64\n"), b64(UNAME_V)],
            ["pinfile", b64("x\n")],
            ["dpkg", b64(DPKG)],
            ["policy", b64(POLICY_PINNED), b64("E: Invalid record in the preferences file /etc/apt/preferences.d/x.pref, no Package header\n")],
            ["holds", b64(`${META}\n`)],
            ["ours", b64(`${META}\n`)],
            ["images", b64(`${IMAGE}: /boot/vmlinuz-6.1.0-50-cloud-amd64\n`)],
            ["wrote"],
            ["hold", META],
        ]);
        expect(obs).toMatchObject({
            runningKernel: "6.1.0-50-cloud-amd64",
            pinFile: "x\n",
            holds: [META],
            ours: [META],
            aptError: "E: Invalid record in the preferences file /etc/apt/preferences.d/x.pref, no Package header",
            changes: ["wrote", `held ${META}`],
        });
        expect(parseObserved([["policy", b64("")]]).aptError).toBeNull();
        expect(parseObserved([["nopm", "dnf"]]).otherPackageManager).toBe("dnf");
        expect(parseObserved([["nopinfile"]]).pinFile).toBeNull();
    });

    test("the scripts are constants that force the C locale and carry no user data", () => {
        // Changes wait for the host lock and survive a dropped connection; reads take no lock.
        expect(APPLY_SCRIPT).toMatch(/\nbegin_apply "\$in" "\$err"\n/);
        expect(OBSERVE_SCRIPT.startsWith(SH_PRELUDE)).toBe(true);
        expect(OBSERVE_SCRIPT.slice(SH_PRELUDE.length)).not.toMatch(/begin_apply|host_lock/);
        expect(APPLY_SCRIPT.slice(SH_PRELUDE.length)).toMatch(/begin_apply/);
        for (const s of [OBSERVE_SCRIPT, APPLY_SCRIPT]) {
            expect(s).toContain("export LC_ALL=C");
            expect(s).toContain(`PIN_FILE="$ROOT${PIN_FILE}"`);
            expect(s).toContain(`HELD_BY_US="$ROOT${HELD_BY_US}"`);
            expect(s).not.toMatch(/linux-image-cloud|eval /);
        }
    });
});

describe("which packages and versions", () => {
    test("default: the installed meta-package and the image package it depends on", () => {
        expect(defaultPackages(observed())).toEqual({ packages: [IMAGE, META] });
    });

    test("default without a meta-package: the running kernel's image package", () => {
        const obs = observed({ packages: parseDpkgQuery(`${IMAGE}\t${V}\tii \tkmod\nlinux-image-6.1.0-40-cloud-amd64\t6.1.150-1\tii \tkmod\n`) });
        obs.images["6.1.0-40-cloud-amd64"] = ["linux-image-6.1.0-40-cloud-amd64"];
        expect(defaultPackages(obs)).toEqual({ packages: [IMAGE] });
        expect(defaultPackages({ ...obs, runningKernel: "6.9.0-custom" }).error).toMatch(/no installed package provides the running kernel 6\.9\.0-custom/);
    });

    test("defaults resolve to the installed versions", () => {
        expect(resolvePins({}, observed())).toEqual({ pins: PINS, errors: [], failures: [] });
    });

    test("an explicit version applies to every package; apt must know it", () => {
        expect(resolvePins({ packages: [META], version: NEWER }, observed())).toEqual({ pins: { [META]: NEWER }, errors: [], failures: [] });
        const r = resolvePins({ version: NEWER }, observed());
        expect(r.errors).toEqual([`apt knows no version ${NEWER} of ${IMAGE}; available: ${V} (installed)`]);
        expect(resolvePins({ packages: [META], version: "6.1.999-1" }, observed()).errors).toEqual([
            `apt knows no version 6.1.999-1 of ${META}; available: ${NEWER}, ${V} (installed)`,
        ]);
    });

    test("a package that is not installed is an error, with what apt has", () => {
        const obs = observed({ policy: { ...parsePolicy(POLICY_REPO), ...parsePolicy("foo:\n  Installed: (none)\n  Candidate: 2.0-1\n  Version table:\n     2.0-1 500\n        500 file:/srv/repo ./ Packages\n") } });
        expect(resolvePins({ packages: [META, "foo", "nosuch"] }, obs).errors).toEqual([
            "foo is not installed (apt has 2.0-1); install the version to pin first",
            "nosuch is not installed and apt knows no package of that name",
        ]);
        expect(resolvePins({ packages: [`${IMAGE}-unsigned`] }, obs).errors[0]).toMatch(/is not installed and apt knows no package/);
    });

    test("recorded defaults stand while the inputs they came from are unchanged, so a pin never follows the host", () => {
        // The host has moved on since creation: a newer meta-package is installed.
        const moved = observed({ packages: parseDpkgQuery(DPKG.replace(`${META}\t${V}`, `${META}\t${NEWER}`)) });
        expect(resolvePins({}, moved, { pins: PINS }).pins).toEqual(PINS);
        // A version set before and now left out: back to what is installed.
        expect(resolvePins({}, moved, { pins: { [META]: NEWER, [IMAGE]: V }, version: NEWER }).pins).toEqual({ [IMAGE]: V, [META]: NEWER });
        // Packages named before and now left out: the defaults again.
        expect(Object.keys(resolvePins({}, moved, { pins: { [META]: V }, packages: [META] }).pins)).toEqual([IMAGE, META]);
        // A new package in the list: its installed version; the old ones keep theirs.
        expect(resolvePins({ packages: [IMAGE, META] }, moved, { pins: { [META]: V } }).pins).toEqual({ [IMAGE]: V, [META]: V });
    });
});

describe("the running kernel", () => {
    test("running the pinned build: no reboot", () => {
        expect(runsPinnedKernel(PINS, observed())).toEqual({ pinnedKernels: ["6.1.0-50-cloud-amd64"], rebootRequired: false });
        // through the meta-package alone
        expect(runsPinnedKernel({ [META]: V }, observed())).toEqual({ pinnedKernels: ["6.1.0-50-cloud-amd64"], rebootRequired: false });
    });

    test("another release, or the same release from another build, needs a reboot", () => {
        const obs = observed({
            packages: { ...parseDpkgQuery(DPKG), ...parseDpkgQuery("linux-image-6.1.0-99-cloud-amd64\t6.1.999-1\tii \t\n") },
            images: { "6.1.0-50-cloud-amd64": [IMAGE], "6.1.0-99-cloud-amd64": ["linux-image-6.1.0-99-cloud-amd64"] },
        });
        expect(runsPinnedKernel({ "linux-image-6.1.0-99-cloud-amd64": "6.1.999-1" }, obs)).toEqual({ pinnedKernels: ["6.1.0-99-cloud-amd64"], rebootRequired: true });
        expect(runsPinnedKernel(PINS, observed({ unameVersion: "#1 SMP PREEMPT_DYNAMIC Debian 6.1.170-1 (2026-01-01)" })).rebootRequired).toBe(true);
        // No build in uname -v: the release decides.
        expect(runsPinnedKernel(PINS, observed({ unameVersion: "#101-Ubuntu SMP" })).rebootRequired).toBe(false);
    });

    test("nothing pinned is a kernel image: no reboot", () => {
        expect(runsPinnedKernel({ kmod: "30+20221128-1" }, observed())).toEqual({ pinnedKernels: [], rebootRequired: false });
    });
});

describe("state, verification and notices", () => {
    const extra = "linux-image-6.1.0-99-cloud-amd64";
    const withExtra = (p: Partial<ObservedPin> = {}) =>
        observed({
            packages: { ...parseDpkgQuery(DPKG), ...parseDpkgQuery(`${extra}\t6.1.999-1\tii \t\n`) },
            images: { "6.1.0-50-cloud-amd64": [IMAGE], "6.1.0-99-cloud-amd64": [extra] },
            ...p,
        });

    test("records holds, versions, the kernels and the images left unpinned", () => {
        const st = stateFromObservation(PINS, withExtra({ holds: [META], pinFile: renderPinFile(PINS), policy: parsePolicy(POLICY_PINNED) }), [IMAGE, "dropped"]);
        expect(st).toEqual({
            pinnedVersions: PINS,
            held: { [IMAGE]: false, [META]: true },
            installedVersions: { [IMAGE]: V, [META]: V },
            candidateVersions: { [IMAGE]: V, [META]: V },
            runningKernel: "6.1.0-50-cloud-amd64",
            pinnedKernels: ["6.1.0-50-cloud-amd64"],
            rebootRequired: false,
            unpinnedKernels: [{ package: extra, version: "6.1.999-1", release: "6.1.0-99-cloud-amd64" }],
            pinFile: PIN_FILE,
            pinFileContent: renderPinFile(PINS),
            previouslyHeld: [IMAGE],
            drift: { [IMAGE]: "not on hold" },
        });
        expect(notices(st, null)).toEqual([`kernel images installed but not pinned, which the boot loader may start: ${extra} 6.1.999-1 (6.1.0-99-cloud-amd64)`]);
    });

    test("notices: a pinned version not installed, a reboot to make, apt's complaint", () => {
        const st = stateFromObservation({ [META]: NEWER, [extra]: "6.1.999-1" }, withExtra(), []);
        expect(notices(st, "E: broken")).toEqual([
            `${META}: ${NEWER} is pinned but ${V} is installed; the hold keeps ${V} until you run apt-get install --allow-change-held-packages ${META}=${NEWER}`,
            "apt-cache policy reports: E: broken",
        ]);
        // Pinned through the meta-package and directly: the running kernel is one of them, so no reboot.
        expect(st.rebootRequired).toBe(false);
        expect(notices(stateFromObservation({ [extra]: "6.1.999-1" }, withExtra(), []), null)).toContain(
            "the running kernel 6.1.0-50-cloud-amd64 is not the pinned kernel (6.1.0-99-cloud-amd64): reboot to run it",
        );
    });

    test("verification passes only when apt does what the pins say", () => {
        const good = observed({ pinFile: renderPinFile(PINS), holds: [IMAGE, META], policy: parsePolicy(POLICY_PINNED) });
        expect(unverified(PINS, good)).toEqual([]);
        expect(unverified(PINS, { ...good, pinFile: null })).toEqual([`${PIN_FILE} does not hold the pins`]);
        expect(unverified(PINS, { ...good, holds: [IMAGE] })).toEqual([`${META} is not on hold`]);
        expect(unverified(PINS, { ...good, policy: parsePolicy(POLICY_REPO) })).toEqual([
            `apt does not pin ${IMAGE} to ${V} (priority 100)`,
            `apt does not pin ${META} to ${V} (priority 100)`,
        ]);
        const outranked = parsePolicy(POLICY_PINNED.replace(`  Candidate: ${V}\n  Version table:\n     ${NEWER} 500`, `  Candidate: ${NEWER}\n  Version table:\n     ${NEWER} 1002`));
        expect(unverified(PINS, { ...good, policy: outranked })).toEqual([`apt's candidate for ${META} is ${NEWER}, not ${V}: another preference outranks the pin`]);
        expect(unverified(PINS, { ...good, aptError: "E: x" })).toEqual(["apt-cache policy failed: E: x"]);
    });
});

describe("drift and diff", () => {
    const converged: RecordedState = { pins: PINS, drift: {}, host: "h", port: 22 };
    const want = { host: "h", port: 22 };

    test("drift: holds lifted by hand, the file removed or edited", () => {
        const file = renderPinFile(PINS);
        expect(driftOf(PINS, { holds: [IMAGE, META], pinFile: file })).toEqual({});
        expect(driftOf(PINS, { holds: [IMAGE], pinFile: null })).toEqual({ [META]: "not on hold", [PIN_FILE]: "missing" });
        expect(driftOf(PINS, { holds: [IMAGE, META], pinFile: file.replace("1001", "100") })).toEqual({ [PIN_FILE]: "edited by hand" });
        expect(driftOf(PINS, { holds: [IMAGE, META], pinFile: file + "\n" })).toEqual({ [PIN_FILE]: "edited by hand" });
    });

    test("a converged host with the same inputs: nothing", () => {
        expect(diffPin(converged, want)).toEqual([]);
        expect(inputsChanged(converged, {})).toBe(false);
    });

    test("drift shows as the drift the update removes", () => {
        expect(diffPin({ ...converged, drift: { [META]: "not on hold", [PIN_FILE]: "missing" } }, want)).toEqual([
            { path: `drift["${META}"]`, kind: "delete" },
            { path: `drift["${PIN_FILE}"]`, kind: "delete" },
        ]);
    });

    test("input changes; the host replaces, deleting first", () => {
        expect(diffPin(converged, { ...want, version: NEWER })).toEqual([{ path: "version", kind: "add" }]);
        expect(diffPin({ ...converged, version: NEWER }, want)).toEqual([{ path: "version", kind: "delete" }]);
        expect(diffPin({ ...converged, packages: [META] }, { ...want, packages: [IMAGE, META] })).toEqual([{ path: "packages", kind: "update" }]);
        expect(inputsChanged({ ...converged, packages: [META] }, { packages: [META] })).toBe(false);
        expect(inputsChanged({ ...converged, packages: [META] }, {})).toBe(true);
        expect(diffPin(converged, { host: "other", port: 2222 })).toEqual([
            { path: "connection.host", kind: "update", replace: true },
            { path: "connection.port", kind: "update", replace: true },
        ]);
    });
});

describe("apply and delete plans", () => {
    test("apply ensures the file and the holds; dropped packages come off hold unless held before", () => {
        expect(planApply(PINS, {}, [])).toEqual({ content: renderPinFile(PINS), hold: [IMAGE, META], unhold: [], observe: [IMAGE, META] });
        expect(planApply({ [META]: V }, { ...PINS, kmod: "1" }, ["kmod"])).toEqual({ content: renderPinFile({ [META]: V }), hold: [META], unhold: [IMAGE], observe: ["kmod", IMAGE, META] });
    });

    test("delete removes the file and lifts only the holds this resource set", () => {
        expect(planDelete(PINS, [IMAGE])).toEqual({ content: "delete", hold: [], unhold: [META], observe: [IMAGE, META] });
    });

    test("packages held before the resource: kept from the record, read from the host for new ones", () => {
        expect(nextPreviouslyHeld(PINS, {}, [], observed({ holds: [IMAGE] }))).toEqual([IMAGE]);
        expect(nextPreviouslyHeld(PINS, { [IMAGE]: V }, [IMAGE], observed({ holds: [IMAGE, META] }))).toEqual([IMAGE, META]);
        // A hold this resource set is not "previous" just because the host shows it now.
        expect(nextPreviouslyHeld(PINS, PINS, [], observed({ holds: [IMAGE, META] }))).toEqual([]);
        expect(nextPreviouslyHeld(PINS, PINS, [META], undefined)).toEqual([META]);
        // Holds the host records as ours (an earlier apply whose result never reached the state) are not.
        expect(nextPreviouslyHeld(PINS, {}, [], observed({ holds: [IMAGE, META], ours: [META] }))).toEqual([IMAGE]);
    });
});
