// KernelPackagePin end to end: the real Pulumi CLI, the provider plugin and a Debian 12 VM over SSH.
// The VM has no network, so each test that needs a newer kernel package builds a local apt
// repository inside the guest with dummy packages (dpkg-deb, apt-ftparchive).
import { existsSync, readFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { connectionFor, sh, sshExec, VmState } from "../harness/vm";
import { Stack } from "../harness/pulumi";
import { newStack, pristineVm, ResourceSpec, setResources } from "./shared";

jest.setTimeout(900_000);

const TOKEN = "kernelhardening:index:KernelPackagePin";
const PIN_FILE = "/etc/apt/preferences.d/kernelhardening-kernel-pin.pref";
const META = "linux-image-cloud-amd64";
// A second kernel image, only in the local repository: installs /boot/vmlinuz-<EXTRA_RELEASE>.
const EXTRA = "linux-image-6.1.0-999-cloud-amd64";
const EXTRA_RELEASE = "6.1.0-999-cloud-amd64";
const EXTRA_VERSION = "6.1.999-1";
const HELD_BY_US = "/var/lib/kernelhardening/kernelpin/held-by-us";
const APT = "DEBIAN_FRONTEND=noninteractive apt-get -q -o Dpkg::Use-Pty=0";

function pin(args: Record<string, unknown> = {}): ResourceSpec {
    return { type: "KernelPackagePin", name: "pin", args };
}

interface Kernel {
    release: string;
    /** The versioned image package of the running kernel, e.g. linux-image-6.1.0-50-cloud-amd64. */
    image: string;
    /** Its version, which the meta-package shares. */
    version: string;
    /** The meta-package's version in the local repository. */
    newer: string;
}

let vm: VmState;
let stack: Stack | undefined;

beforeEach(async () => {
    vm = await pristineVm();
});

afterEach(() => {
    stack?.cleanup();
    stack = undefined;
});

/** The kernel the image has, read from the guest so a rebuilt image with a newer kernel still passes. */
async function installedKernel(): Promise<Kernel> {
    const release = (await sh(vm, "uname -r")).trim();
    const image = (await sh(vm, `dpkg-query -S /boot/vmlinuz-${release}`)).split(":")[0].trim();
    const version = (await sh(vm, `dpkg-query -W -f='\${Version}' ${image}`)).trim();
    expect((await sh(vm, `dpkg-query -W -f='\${Version}' ${META}`)).trim()).toBe(version);
    return { release, image, version, newer: `${version}+kh1` };
}

/**
 * A local repository offering a newer linux-image-cloud-amd64 (depending on the installed image,
 * so apt can move to it) and a second kernel image; the guest's own network source is set aside.
 */
async function localRepo(k: Kernel): Promise<void> {
    const script = String.raw`set -e
mkdir -p /srv/repo /tmp/pkgs
mk() { # name version depends [file under /boot]
  d=/tmp/pkgs/$1_$2; mkdir -p "$d/DEBIAN"
  printf 'Package: %s\nVersion: %s\nArchitecture: amd64\nMaintainer: kh test <kh@example.invalid>\nDescription: dummy for the KernelPackagePin tests\n' "$1" "$2" > "$d/DEBIAN/control"
  if [ -n "$3" ]; then printf 'Depends: %s\n' "$3" >> "$d/DEBIAN/control"; fi
  if [ -n "$4" ]; then mkdir -p "$d/boot"; echo dummy > "$d/boot/$4"; fi
  dpkg-deb --build -Zxz "$d" "/srv/repo/$1_$2_amd64.deb" >/dev/null
}
mk "$1" "$2" "$3" ""
mk "$4" "$5" "" "vmlinuz-$6"
cd /srv/repo && apt-ftparchive packages . > Packages
mv /etc/apt/sources.list /etc/apt/sources.list.off
echo 'deb [trusted=yes] file:/srv/repo ./' > /etc/apt/sources.list.d/kh-local.list
apt-get -q update >/dev/null
`;
    await sh(vm, `sh -s -- ${META} ${k.newer} '${k.image}' ${EXTRA} ${EXTRA_VERSION} ${EXTRA_RELEASE}`, { stdin: script });
}

async function installed(pkg: string): Promise<string> {
    return (await sh(vm, `dpkg-query -W -f='\${Version}' ${pkg}`)).trim();
}

async function holds(): Promise<string[]> {
    return (await sh(vm, "apt-mark showhold")).split("\n").filter(Boolean).sort();
}

function pinFile(pins: Record<string, string>): string {
    return (
        "# Managed by Pulumi (kernelhardening:index:KernelPackagePin). Edits made here are reverted by `pulumi up`.\n" +
        "# These packages are also on hold (apt-mark showhold); move them by changing the resource.\n" +
        Object.entries(pins)
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([p, v]) => `Package: ${p}\nPin: version ${v}\nPin-Priority: 1001\n`)
            .join("\n")
    );
}

test("the default pin keeps the installed kernel through apt-get install and upgrade; after destroy they move it", async () => {
    const k = await installedKernel();
    await localRepo(k);
    // The repository really offers a newer meta-package: without a pin, apt would take it.
    expect(await sh(vm, `LC_ALL=C apt-cache policy ${META}`)).toMatch(new RegExp(`Candidate: ${k.newer.replace(/[+.]/g, "\\$&")}`));

    stack = await newStack(connectionFor(vm), [pin()]);
    const up = await stack.up();
    expect(up.code).toBe(0);
    expect(up.output).toMatch(/\+ 2 created/);

    expect(await sh(vm, `cat ${PIN_FILE}`)).toBe(pinFile({ [META]: k.version, [k.image]: k.version }));
    expect(await sh(vm, `stat -c '%a %U %G' ${PIN_FILE}`)).toBe("644 root root\n");
    expect(await holds()).toEqual([k.image, META].sort());
    expect(await sh(vm, `cat ${HELD_BY_US}`)).toBe([k.image, META].sort().join("\n") + "\n");
    expect(await sh(vm, `LC_ALL=C apt-cache policy ${META}`)).toMatch(new RegExp(`Candidate: ${k.version}\\n`));

    const outs = await stack.outputsOf(TOKEN, "pin");
    expect(outs.pinnedVersions).toEqual({ [META]: k.version, [k.image]: k.version });
    expect(outs.held).toEqual({ [META]: true, [k.image]: true });
    expect(outs.installedVersions).toEqual({ [META]: k.version, [k.image]: k.version });
    expect(outs.candidateVersions).toEqual({ [META]: k.version, [k.image]: k.version });
    expect(outs.runningKernel).toBe(k.release);
    expect(outs.pinnedKernels).toEqual([k.release]);
    expect(outs.rebootRequired).toBe(false);
    expect(outs.unpinnedKernels).toEqual([]);
    expect(outs.previouslyHeld).toEqual([]);

    // A second up changes nothing and writes nothing.
    const mtime = await sh(vm, `stat -c %Y.%y ${PIN_FILE}; stat -c %Y.%y /var/lib/dpkg/status`);
    const again = await stack.up();
    expect(again.code).toBe(0);
    expect(again.output).not.toMatch(/updated|created|deleted/);
    expect((await stack.preview(["--expect-no-changes"])).code).toBe(0);
    expect(await sh(vm, `stat -c %Y.%y ${PIN_FILE}; stat -c %Y.%y /var/lib/dpkg/status`)).toBe(mtime);
    expect(await sh(vm, "ls -a /etc/apt/preferences.d")).not.toMatch(/kh-/);

    // Real apt runs with the newer candidate available: the package stays.
    const install = await sshExec(vm, `${APT} install -y ${META}`);
    expect(install.code).toBe(0);
    expect(install.stdout).toMatch(new RegExp(`${META} is already the newest version`));
    const upgrade = await sshExec(vm, `${APT} upgrade -y`);
    expect(upgrade.code).toBe(0);
    expect(upgrade.stdout).toMatch(/0 upgraded, 0 newly installed/);
    expect(await installed(META)).toBe(k.version);
    // Asking for the newer version by name runs into the hold.
    const explicit = await sshExec(vm, `${APT} install -y ${META}=${k.newer}`);
    expect(explicit.code).not.toBe(0);
    expect(explicit.stderr).toMatch(/Held packages were changed/);
    expect(await installed(META)).toBe(k.version);

    const destroy = await stack.destroy();
    expect(destroy.code).toBe(0);
    expect((await sshExec(vm, `test -e ${PIN_FILE}`)).code).not.toBe(0);
    expect(await holds()).toEqual([]);
    expect((await sshExec(vm, "test -e /var/lib/kernelhardening/kernelpin")).code).not.toBe(0);

    // The same upgrade now moves the package.
    const moved = await sshExec(vm, `${APT} upgrade -y`);
    expect(moved.code).toBe(0);
    expect(await installed(META)).toBe(k.newer);
});

test("a lifted hold and an edited or removed pin file show in previews and up restores them, with one read per no-op (as a sudo user)", async () => {
    const k = await installedKernel();
    const trace = join(tmpdir(), `kh-trace-kernelpin-${process.pid}.jsonl`);
    rmSync(trace, { force: true });
    const ops = () => (existsSync(trace) ? readFileSync(trace, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l).op).filter((op) => op !== "cancel") : []);
    stack = await newStack(connectionFor(vm, "kh"), [pin()], { KH_TRACE_FILE: trace });
    expect((await stack.up()).code).toBe(0);
    expect(ops()).toEqual(["kernelpin.observe", "kernelpin.observe", "kernelpin.apply"]); // create: the check's read, then one read and one apply
    const content = await sh(vm, `cat ${PIN_FILE}`);

    rmSync(trace, { force: true });
    expect((await stack.up()).code).toBe(0);
    expect(ops()).toEqual(["kernelpin.observe"]); // no-op up: one read

    await sh(vm, `apt-mark unhold ${META}`);
    const refreshed = await stack.preview(["--refresh"]);
    expect(refreshed.code).toBe(0);
    expect(refreshed.output).toMatch(/~ 1 to update/);
    // The refresh shows the hold as it is now; the update shows the drift it removes.
    expect(refreshed.output).toMatch(new RegExp(`~ ${META}\\s*: true => false`));
    expect(refreshed.output).toMatch(new RegExp(`- drift: \\{\\s*- ${META}\\s*: "not on hold"\\s*\\}`));
    // Plain preview shows it too: the engine refreshes the resource before planning its update.
    const plain = await stack.preview();
    expect(plain.output).toMatch(/~ 1 to update/);
    expect(plain.output).toMatch(new RegExp(`- ${META}\\s*: "not on hold"`));

    rmSync(trace, { force: true });
    const fix = await stack.up();
    expect(fix.code).toBe(0);
    expect(fix.output).toMatch(/~ 1 updated/);
    expect(ops()).toEqual(["kernelpin.observe", "kernelpin.apply"]); // drift: one read, one apply
    expect(await holds()).toEqual([k.image, META].sort());

    await sh(vm, `rm ${PIN_FILE}`);
    const removed = await stack.preview(["--refresh"]);
    expect(removed.code).toBe(0);
    expect(removed.output).toMatch(/~ 1 to update/);
    expect(removed.output).toMatch(/- \/etc\/apt\/preferences\.d\/kernelhardening-kernel-pin\.pref\s*: "missing"/);
    expect((await stack.up()).code).toBe(0);
    expect(await sh(vm, `cat ${PIN_FILE}`)).toBe(content);

    await sh(vm, `sed -i 's/Pin-Priority: 1001/Pin-Priority: 100/' ${PIN_FILE}`);
    const edited = await stack.preview(["--refresh"]);
    expect(edited.code).toBe(0);
    expect(edited.output).toMatch(/Pin-Priority: 100\b/);
    expect(edited.output).toMatch(/- \/etc\/apt\/preferences\.d\/kernelhardening-kernel-pin\.pref\s*: "edited by hand"/);
    expect((await stack.up()).code).toBe(0);
    expect(await sh(vm, `cat ${PIN_FILE}`)).toBe(content);
    expect((await stack.preview(["--refresh", "--expect-no-changes"])).code).toBe(0);

    rmSync(trace, { force: true });
    expect((await stack.destroy()).code).toBe(0);
    // The engine refreshes before the delete (refreshBeforeUpdate), then one round trip removes and reads back.
    expect(ops()).toEqual(["kernelpin.observe", "kernelpin.apply"]);
    expect(await holds()).toEqual([]);
});

test("bad input fails at preview: names at check before any host is contacted, packages and versions against apt", async () => {
    stack = await newStack({ ...connectionFor(vm), port: 1 }, [pin({ packages: [META, "Linux_Image; reboot"], version: "latest" })]);
    const grammar = await stack.preview();
    expect(grammar.code).not.toBe(0);
    expect(grammar.output).toMatch(/packages\[1\]: must be a Debian package name/);
    expect(grammar.output).toMatch(/version: must be a Debian version/);
    expect(grammar.output).not.toMatch(/connection refused|127\.0\.0\.1:1\b/);
    stack.cleanup();

    const k = await installedKernel();
    await localRepo(k);
    stack = await newStack(connectionFor(vm), [pin({ packages: [META] })]);
    expect((await stack.up()).code).toBe(0);
    const mtime = await sh(vm, `stat -c %Y.%y ${PIN_FILE}`);

    await setResources(stack, [pin({ packages: [META], version: "6.1.999-1" })]);
    const unknownVersion = await stack.preview();
    expect(unknownVersion.code).not.toBe(0);
    expect(unknownVersion.output).toContain(`apt knows no version 6.1.999-1 of ${META}; available: ${k.newer}, ${k.version} (installed)`);

    await setResources(stack, [pin({ packages: [META, "nosuch-package"] })]);
    const notInstalled = await stack.preview();
    expect(notInstalled.code).not.toBe(0);
    expect(notInstalled.output).toContain("nosuch-package is not installed and apt knows no package of that name");
    const failedUp = await stack.up();
    expect(failedUp.code).not.toBe(0);
    expect(await sh(vm, `stat -c %Y.%y ${PIN_FILE}`)).toBe(mtime);
    expect(await holds()).toEqual([META]);

    // A version apt knows is accepted, even one not installed: the pin moves, the hold keeps what is installed.
    await setResources(stack, [pin({ packages: [META], version: k.newer })]);
    expect((await stack.preview()).code).toBe(0);
    const moved = await stack.up();
    expect(moved.code).toBe(0);
    expect(moved.output).toContain(`${META}: ${k.newer} is pinned but ${k.version} is installed`);
    expect(await sh(vm, `cat ${PIN_FILE}`)).toBe(pinFile({ [META]: k.newer }));
    expect(await installed(META)).toBe(k.version);
    stack.cleanup();

    // A new resource is checked against the host at preview too (in Check: no Diff runs before a create).
    await sh(vm, `rm ${PIN_FILE} && apt-mark unhold ${META}`);
    stack = await newStack(connectionFor(vm), [pin({ version: "6.1.999-1" })]);
    const newPreview = await stack.preview();
    expect(newPreview.code).not.toBe(0);
    expect(newPreview.output).toContain(`version: apt knows no version 6.1.999-1 of ${k.image}; available: ${k.version} (installed)`);
    const create = await stack.up();
    expect(create.code).not.toBe(0);
    expect(create.output).toContain(`apt knows no version 6.1.999-1 of ${k.image}; available: ${k.version} (installed)`);
    expect((await sshExec(vm, `test -e ${PIN_FILE}`)).code).not.toBe(0);
    expect(await holds()).toEqual([]);
});

test("explicit packages: kernels left unpinned, a reboot to run the pinned one, holds set by hand are kept", async () => {
    const k = await installedKernel();
    await localRepo(k);
    await sh(vm, `${APT} install -y ${EXTRA} >/dev/null && apt-mark hold ${k.image}`);

    stack = await newStack(connectionFor(vm), [pin()]);
    const up = await stack.up();
    expect(up.code).toBe(0);
    expect(up.output).toContain(`kernel images installed but not pinned, which the boot loader may start: ${EXTRA} ${EXTRA_VERSION} (${EXTRA_RELEASE})`);
    let outs = await stack.outputsOf(TOKEN, "pin");
    expect(outs.unpinnedKernels).toEqual([{ package: EXTRA, version: EXTRA_VERSION, release: EXTRA_RELEASE }]);
    expect(outs.previouslyHeld).toEqual([k.image]);
    expect(await sh(vm, `cat ${HELD_BY_US}`)).toBe(`${META}\n`);

    await setResources(stack, [pin({ packages: [EXTRA] })]);
    const moved = await stack.up();
    expect(moved.code).toBe(0);
    expect(moved.output).toContain(`the running kernel ${k.release} is not the pinned kernel (${EXTRA_RELEASE}): reboot to run it`);
    outs = await stack.outputsOf(TOKEN, "pin");
    expect(outs.pinnedVersions).toEqual({ [EXTRA]: EXTRA_VERSION });
    expect(outs.pinnedKernels).toEqual([EXTRA_RELEASE]);
    expect(outs.rebootRequired).toBe(true);
    expect(outs.unpinnedKernels).toEqual([{ package: k.image, version: k.version, release: k.release }]);
    expect(await sh(vm, `cat ${PIN_FILE}`)).toBe(pinFile({ [EXTRA]: EXTRA_VERSION }));
    // The meta-package came off hold; the image held by hand stays held.
    expect(await holds()).toEqual([EXTRA, k.image].sort());

    expect((await stack.destroy()).code).toBe(0);
    expect(await holds()).toEqual([k.image]);
    expect((await sshExec(vm, `test -e ${PIN_FILE}`)).code).not.toBe(0);
});

test("a create whose result never reached the state does not count its own holds as set by hand", async () => {
    stack = await newStack(connectionFor(vm), [pin()]);
    expect((await stack.up()).code).toBe(0);
    // The state is lost, as when the connection drops before the result reaches Pulumi.
    stack.cleanup();
    stack = await newStack(connectionFor(vm), [pin()]);
    expect((await stack.up()).code).toBe(0);
    expect((await stack.outputsOf(TOKEN, "pin")).previouslyHeld).toEqual([]);
    expect((await stack.destroy()).code).toBe(0);
    expect(await holds()).toEqual([]);
    expect((await sshExec(vm, `test -e ${PIN_FILE} || test -e ${HELD_BY_US}`)).code).not.toBe(0);
});

test("previewReadsHost: false keeps previews offline; the update still checks the host before writing", async () => {
    const k = await installedKernel();
    const trace = join(tmpdir(), `kh-trace-kernelpin-offline-${process.pid}.jsonl`);
    rmSync(trace, { force: true });
    const ops = () => (existsSync(trace) ? readFileSync(trace, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l).op).filter((op) => op !== "cancel") : []);
    stack = await newStack(connectionFor(vm), [pin({ previewReadsHost: false })], { KH_TRACE_FILE: trace });
    expect((await stack.up()).code).toBe(0);

    await sh(vm, `apt-mark unhold ${META}`);
    await setResources(stack, [pin({ previewReadsHost: false, version: "6.1.999-1" })]);
    rmSync(trace, { force: true });
    const pre = await stack.preview();
    expect(pre.code).toBe(0);
    expect(pre.output).toMatch(/~ 1 to update/);
    expect(pre.output).not.toMatch(/not on hold/);
    expect(ops()).toEqual([]); // the preview never connected

    const up = await stack.up();
    expect(up.code).not.toBe(0);
    expect(up.output).toContain(`apt knows no version 6.1.999-1 of ${k.image}; available: ${k.version} (installed)`);
    expect(ops()).toEqual(["kernelpin.observe"]); // checked, and nothing written
    expect(await holds()).toEqual([k.image]);

    await setResources(stack, [pin({ previewReadsHost: false })]);
    expect((await stack.up(["--refresh"])).code).toBe(0);
    expect(await holds()).toEqual([k.image, META].sort());
});

test("a host without apt fails with an unsupported package manager error and nothing is written", async () => {
    await sh(vm, "for b in apt-get apt-cache apt-mark; do mv /usr/bin/$b /usr/bin/$b.off; done; printf '#!/bin/sh\\nexit 0\\n' > /usr/local/bin/dnf; chmod 755 /usr/local/bin/dnf");
    stack = await newStack(connectionFor(vm), [pin()]);
    const up = await stack.up();
    expect(up.code).not.toBe(0);
    expect(up.output).toMatch(/127\.0\.0\.1:\d+: unsupported package manager: this host uses dnf, not apt/);
    expect((await sshExec(vm, `test -e ${PIN_FILE}`)).code).not.toBe(0);
});
