// ModuleBlocklist end to end: modprobe refuses blocked modules; drift is shown and fixed; delete restores.
import { connectionFor, sh, sshExec, VmState } from "../harness/vm";
import { Stack } from "../harness/pulumi";
import { newStack, pristineVm, setResources } from "./shared";

jest.setTimeout(600_000);

let vm: VmState;
let stack: Stack | undefined;

beforeEach(async () => {
    vm = await pristineVm();
});

afterEach(() => {
    stack?.cleanup();
    stack = undefined;
});

const blocklist = (modules: string[]) => [{ type: "ModuleBlocklist", name: "blocklist", args: { modules } }];

test("blocked modules cannot be loaded with modprobe; a loaded one is reported; drift is fixed; delete lets them load again", async () => {
    await sh(vm, "modprobe nlmon");
    stack = await newStack(connectionFor(vm, "kh"), blocklist(["dummy", "nlmon"]));
    const up = await stack.up();
    expect(up.code).toBe(0);
    expect(up.output).toMatch(/loaded now: nlmon; the blocklist stops the next load/);
    const refused = await sshExec(vm, "modprobe dummy");
    expect(refused.code).not.toBe(0);
    expect((await sshExec(vm, "grep -q '^dummy ' /proc/modules")).code).not.toBe(0);
    expect(await sh(vm, "stat -c '%a %U' /etc/modprobe.d/90-kernelhardening-blocklist.conf")).toBe("644 root\n");

    const mtime = await sh(vm, "stat -c %Y /etc/modprobe.d/90-kernelhardening-blocklist.conf");
    expect((await stack.preview(["--expect-no-changes"])).code).toBe(0);
    expect(await sh(vm, "stat -c %Y /etc/modprobe.d/90-kernelhardening-blocklist.conf")).toBe(mtime);

    await sh(vm, "sed -i '/dummy/d' /etc/modprobe.d/90-kernelhardening-blocklist.conf");
    const drift = await stack.preview(["--refresh"]);
    expect(drift.output).toMatch(/~ kernelhardening:index:ModuleBlocklist: \(update\)/);
    expect((await stack.up()).code).toBe(0);
    expect((await sshExec(vm, "modprobe dummy")).code).not.toBe(0);

    await setResources(stack, blocklist(["dummy"]));
    expect((await stack.up()).code).toBe(0);
    expect((await sh(vm, "rmmod nlmon; modprobe nlmon && echo ok")).trim()).toBe("ok");

    expect((await stack.destroy()).code).toBe(0);
    expect((await sh(vm, "modprobe dummy && echo ok")).trim()).toBe("ok");
    expect((await sshExec(vm, "test -e /etc/modprobe.d/90-kernelhardening-blocklist.conf")).code).not.toBe(0);
});

test("the component's moduleBlocklist declares a blocklist child", async () => {
    stack = await newStack(connectionFor(vm), [{ type: "KernelHardening", name: "web", args: { moduleBlocklist: ["dummy"] } }]);
    const up = await stack.up();
    expect(up.code).toBe(0);
    expect(up.output).toMatch(/\+ +kernelhardening:index:ModuleBlocklist web-module-blocklist created/);
    expect((await sshExec(vm, "modprobe dummy")).code).not.toBe(0);
});
