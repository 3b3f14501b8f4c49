// Import end to end: every resource type set up by hand on the VM, adopted with
// `pulumi import --generate-code=false` and read with the provider's connection
// (`kernelhardening:connection`); the program that declares them then previews with no changes.
import { writeFileSync, rmSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { connectionFor, sh, VmState } from "../harness/vm";
import { Stack } from "../harness/pulumi";
import { PROGRAM_DIR, pristineVm, ResourceSpec, setResources } from "./shared";
import { renderGrubDropin } from "../../provider/resources/lockdown/model";
import { renderPinFile } from "../../provider/resources/kernelpin/model";
import { renderBlocklist } from "../../provider/resources/modules/model";

jest.setTimeout(900_000);

let vm: VmState;
let stack: Stack | undefined;

beforeEach(async () => {
    vm = await pristineVm();
});

afterEach(() => {
    stack?.cleanup();
    stack = undefined;
});

/** A stack whose resources have no connection of their own: the default provider's is used. */
async function providerStack(connection: Record<string, unknown>): Promise<Stack> {
    const st = new Stack(PROGRAM_DIR);
    await st.init({
        "kernelhardening:connection": { value: JSON.stringify(connection), secret: true },
        resources: { value: "[]" },
    });
    return st;
}

const META = "linux-image-cloud-amd64";
const S = "kernelhardening:index:";

test("each resource type set up by hand is imported by id, and the program declaring it previews no changes", async () => {
    const release = (await sh(vm, "uname -r")).trim();
    const image = (await sh(vm, `dpkg-query -S /boot/vmlinuz-${release}`)).split(":")[0].trim();
    const version = (await sh(vm, `dpkg-query -W -f='\${Version}' ${image}`)).trim();
    const pinFile = renderPinFile({ [META]: version, [image]: version });
    // By hand, as an earlier tool (or a lost state) left them.
    await sh(
        vm,
        [
            "printf '# tuned by hand\\nkernel.kptr_restrict=2\\n  kernel.dmesg_restrict = 1\\n' > /etc/sysctl.d/80-legacy.conf",
            "sysctl -p /etc/sysctl.d/80-legacy.conf >/dev/null",
            "cat > /etc/modprobe.d/70-hand.conf",
        ].join(" && "),
        { stdin: renderBlocklist(["cramfs", "udf"]) },
    );
    await sh(
        vm,
        "cat > /etc/apt/preferences.d/kernelhardening-kernel-pin.pref && apt-mark hold " +
            `${META} ${image} >/dev/null`,
        { stdin: pinFile },
    );
    await sh(
        vm,
        "mkdir -p /etc/default/grub.d && cat > /etc/default/grub.d/90-kernelhardening-lockdown.cfg && update-grub 2>/dev/null && echo integrity > /sys/kernel/security/lockdown",
        {
            stdin: renderGrubDropin("integrity"),
        },
    );

    const where = `root@127.0.0.1:${vm.port}`;
    const imports = [
        { type: `${S}Sysctl`, name: "legacy", id: `${where}:/etc/sysctl.d/80-legacy.conf` },
        { type: `${S}ModuleBlocklist`, name: "hand", id: `${where}:/etc/modprobe.d/70-hand.conf` },
        {
            type: `${S}KernelPackagePin`,
            name: "pin",
            id: `${where}:/etc/apt/preferences.d/kernelhardening-kernel-pin.pref`,
        },
        { type: `${S}Lockdown`, name: "lockdown", id: `${where}:lockdown` },
    ];
    const file = join(tmpdir(), `kh-imports-${process.pid}.json`);
    writeFileSync(file, JSON.stringify({ resources: imports }));
    stack = await providerStack(connectionFor(vm));
    try {
        const imported = await stack.run([
            "import",
            "--file",
            file,
            "--yes",
            "--generate-code=false",
            "--stack",
            stack.name,
        ]);
        expect(imported.output).toMatch(/= 4 imported/);
        expect(imported.code).toBe(0);
    } finally {
        rmSync(file, { force: true });
    }
    const state = await stack.state();
    const ids = (state.deployment.resources ?? [])
        .filter((r) => String(r.type).startsWith(S))
        .map((r) => r.id)
        .sort();
    // Recorded with the id the resource gives itself: host and port, without the user.
    expect(ids).toEqual(imports.map((i) => i.id.replace(/^root@/, "")).sort());
    // The credentials used for the import are secrets in state.
    expect(JSON.stringify(state)).not.toContain(String(connectionFor(vm).privateKey).split("\n")[1]);

    const declared: ResourceSpec[] = [
        {
            type: "Sysctl",
            name: "legacy",
            connection: null,
            args: {
                file: "80-legacy.conf",
                comment: "tuned by hand",
                entries: { "kernel.kptr_restrict": "2", "kernel.dmesg_restrict": "1" },
            },
        },
        {
            type: "ModuleBlocklist",
            name: "hand",
            connection: null,
            args: { file: "70-hand.conf", modules: ["cramfs", "udf"] },
        },
        { type: "KernelPackagePin", name: "pin", connection: null, args: { packages: [image, META].sort(), version } },
        { type: "Lockdown", name: "lockdown", connection: null, args: { mode: "integrity" } },
    ];
    await setResources(stack, declared);
    const pre = await stack.preview(["--expect-no-changes"]);
    expect(pre.output).not.toMatch(/error/i);
    expect(pre.code).toBe(0);
    // Nothing on the host was touched by the import.
    expect(
        await sh(
            vm,
            "head -n1 /etc/sysctl.d/80-legacy.conf; cat /etc/apt/preferences.d/kernelhardening-kernel-pin.pref",
        ),
    ).toBe(`# tuned by hand\n${pinFile}`);
});

test("an id that does not parse fails showing the id format, before any host is contacted", async () => {
    // The provider's connection leads nowhere: a dial would fail with another message.
    stack = await providerStack({
        host: "127.0.0.1",
        port: 9,
        user: "root",
        password: "x",
        insecureIgnoreHostKey: true,
        dialErrorLimit: 1,
        perDialTimeout: 2,
    });
    const r = await stack.run([
        "import",
        `${S}Lockdown`,
        "lockdown",
        "somehost:lockdown",
        "--yes",
        "--generate-code=false",
        "--stack",
        stack.name,
    ]);
    expect(r.code).not.toBe(0);
    expect(r.output).toContain('cannot import "somehost:lockdown": the id of a Lockdown is [user@]host:port:lockdown');
    expect(r.output).not.toMatch(/connection refused|ECONNREFUSED/);
});
