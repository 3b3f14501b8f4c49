// The provider-level connection end to end: stack config `kernelhardening:connection` for the
// default provider, an explicit provider, a resource's own connection winning, and bad input.
import { readFileSync } from "fs";
import { join } from "path";
import { connectionFor, sh, VmState } from "../harness/vm";
import { Stack } from "../harness/pulumi";
import { PROGRAM_DIR, pristineVm, ResourceSpec } from "./shared";

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

async function init(config: Record<string, { value: string; secret?: boolean }>): Promise<Stack> {
    const st = new Stack(PROGRAM_DIR);
    await st.init(config);
    return st;
}

const providerConnection = (c: Record<string, unknown>) => ({
    "kernelhardening:connection": { value: JSON.stringify(c), secret: true },
});
const sysctl = (entries: Record<string, string>, extra: Partial<ResourceSpec> = {}): ResourceSpec => ({
    type: "Sysctl",
    name: "tunables",
    connection: null,
    args: { file: "90-provider.conf", entries },
    ...extra,
});
const live = async (key: string) => (await sh(vm, `sysctl -n ${key}`)).trim();

test("resources without a connection use kernelhardening:connection; its credentials stay secret; another host replaces them", async () => {
    const conn = connectionFor(vm);
    stack = await init({
        ...providerConnection(conn),
        resources: { value: JSON.stringify([sysctl({ "kernel.kptr_restrict": "2" })]) },
    });
    const up = await stack.up();
    expect(up.code).toBe(0);
    expect(await live("kernel.kptr_restrict")).toBe("2");
    const keyLine = String(conn.privateKey).split("\n")[1];
    expect(readFileSync(join(stack.backend, `.pulumi/stacks/kh-e2e/${stack.name}.json`), "utf8")).not.toContain(
        keyLine,
    );
    expect(up.output).not.toContain(keyLine);
    expect((await stack.preview(["--expect-no-changes"])).code).toBe(0);

    // The same VM under another name is another host to Pulumi: the resource is replaced.
    await stack.setConfig("kernelhardening:connection", JSON.stringify({ ...conn, host: "localhost" }), true);
    const moved = await stack.preview();
    expect(moved.code).toBe(0);
    expect(moved.output).toMatch(/1 to replace/);
});

test("a resource's own connection wins over the provider's; an explicit provider's connection serves its resources", async () => {
    // The default provider's connection leads nowhere: only the resource's own and web-1's reach the VM.
    const nowhere = {
        host: "127.0.0.1",
        port: 9,
        user: "root",
        password: "x",
        insecureIgnoreHostKey: true,
        dialErrorLimit: 1,
        perDialTimeout: 2,
    };
    const resources: ResourceSpec[] = [
        sysctl({ "kernel.kptr_restrict": "1" }, { connection: connectionFor(vm) }),
        {
            type: "ModuleBlocklist",
            name: "blocklist",
            connection: null,
            provider: "web-1",
            args: { modules: ["cramfs"] },
        },
    ];
    stack = await init({
        ...providerConnection(nowhere),
        resources: { value: JSON.stringify(resources) },
        providers: { value: JSON.stringify([{ name: "web-1", connection: connectionFor(vm) }]) },
    });
    const up = await stack.up();
    expect(up.output).not.toMatch(/error/i);
    expect(up.code).toBe(0);
    expect(await live("kernel.kptr_restrict")).toBe("1");
    expect(await sh(vm, "grep -c cramfs /etc/modprobe.d/90-kernelhardening-blocklist.conf")).toBe("2\n");
    expect((await stack.preview(["--expect-no-changes"])).code).toBe(0);
});

test("a KernelCmdline and a HostReboot without a connection use the provider's", async () => {
    const resources: ResourceSpec[] = [
        { type: "KernelCmdline", name: "cmdline", connection: null, args: { parameters: { slab_nomerge: "" } } },
        // Nothing to watch yet: it only probes the host (no reboot), through the provider's connection.
        { type: "HostReboot", name: "reboot", connection: null, args: { rebootRequired: [] } },
    ];
    stack = await init({ ...providerConnection(connectionFor(vm)), resources: { value: JSON.stringify(resources) } });
    const up = await stack.up();
    expect(up.code).toBe(0);
    expect(await sh(vm, "cat /etc/default/grub.d/90-kernelhardening-cmdline.cfg")).toContain("slab_nomerge");
    expect(await stack.outputsOf("kernelhardening:index:KernelCmdline", "cmdline")).toMatchObject({
        // The provider's connection, recorded as the resource's own, and secret in state as it was in config.
        connection: { plaintext: expect.stringContaining(`"host":"${connectionFor(vm).host}"`) },
        persisted: { slab_nomerge: "" },
        pendingReboot: ["slab_nomerge"],
        rebootRequired: true,
    });
    const bootId = (await sh(vm, "cat /proc/sys/kernel/random/boot_id")).trim();
    expect(await stack.outputsOf("kernelhardening:index:HostReboot", "reboot")).toMatchObject({ bootId, rebooted: false });
    expect((await stack.preview(["--expect-no-changes"])).code).toBe(0);
});

test("no connection anywhere, or a provider connection that is not one, fails at preview naming the property", async () => {
    stack = await init({ resources: { value: JSON.stringify([sysctl({ "kernel.kptr_restrict": "2" })]) } });
    const none = await stack.preview();
    expect(none.code).not.toBe(0);
    expect(none.output).toMatch(/connection: no connection to the host: set `connection` on the resource/);
    expect(none.output).toContain("`kernelhardening:connection` in the stack config");

    await stack.setConfig("kernelhardening:connection", JSON.stringify({ host: "a b", port: 22 }), true);
    const bad = await stack.preview();
    expect(bad.code).not.toBe(0);
    expect(bad.output).toMatch(/connection\.host: must be a host name or an IP address/);
    expect(await live("kernel.kptr_restrict")).toBe("0");
});
