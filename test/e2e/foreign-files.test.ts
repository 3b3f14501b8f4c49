// Files that are not ours are never taken over or deleted (issue 14, finding 11): Debian's
// /etc/sysctl.d/99-sysctl.conf (a symlink to ../sysctl.conf) and a modprobe.d/blacklist.conf.
// (Taking them over with adopt: true and putting them back on delete: test/unit/scripts.)
import { connectionFor, sh, sshExec, VmState } from "../harness/vm";
import { Stack } from "../harness/pulumi";
import { newStack, pristineVm } from "./shared";

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

test("a Sysctl on Debian's 99-sysctl.conf and a blocklist on blacklist.conf are refused; both files stay as they were", async () => {
    expect((await sh(vm, "readlink /etc/sysctl.d/99-sysctl.conf")).trim()).toBe("../sysctl.conf");
    await sh(vm, "printf 'blacklist evbug\\n' > /etc/modprobe.d/blacklist.conf");
    const before = await sh(vm, "md5sum /etc/sysctl.conf /etc/modprobe.d/blacklist.conf");
    stack = await newStack(connectionFor(vm), [
        { type: "Sysctl", name: "s", args: { file: "99-sysctl.conf", entries: { "kernel.kptr_restrict": "2" } } },
        { type: "ModuleBlocklist", name: "m", args: { file: "blacklist.conf", modules: ["udf"] } },
    ]);
    const up = await stack.up();
    expect(up.code).not.toBe(0);
    expect(up.output).toMatch(/\/etc\/sysctl\.d\/99-sysctl\.conf exists and was not written by this provider .*set adopt: true/);
    expect(up.output).toMatch(/\/etc\/modprobe\.d\/blacklist\.conf exists and was not written by this provider/);
    expect((await sh(vm, "readlink /etc/sysctl.d/99-sysctl.conf")).trim()).toBe("../sysctl.conf");
    expect(await sh(vm, "md5sum /etc/sysctl.conf /etc/modprobe.d/blacklist.conf")).toBe(before);
    expect((await sh(vm, "cat /proc/sys/kernel/kptr_restrict")).trim()).toBe("0");
    expect((await stack.destroy()).code).toBe(0);
    expect((await sshExec(vm, "test -L /etc/sysctl.d/99-sysctl.conf && test -f /etc/modprobe.d/blacklist.conf")).code).toBe(0);
});
