// A host where /proc/sys is read-only (a container; here a read-only bind mount in the VM): a clear
// error naming the cause, nothing persisted; once writable again, the same up converges.
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

test("read-only /proc/sys: the error says so, and no file or record is left", async () => {
    const KEYS = "/proc/sys/kernel/kptr_restrict /proc/sys/vm/swappiness";
    const before = await sh(vm, `cat ${KEYS}`);
    expect(before).not.toBe("2\n11\n");
    await sh(vm, "mount --bind /proc/sys /proc/sys && mount -o remount,bind,ro /proc/sys");
    expect((await sshExec(vm, "echo 2 > /proc/sys/kernel/kptr_restrict")).stderr).toMatch(/Read-only file system/);
    stack = await newStack(connectionFor(vm), [
        { type: "Sysctl", name: "t", args: { file: "90-t.conf", entries: { "kernel.kptr_restrict": "2", "vm.swappiness": "11" } } },
    ]);
    const up = await stack.up();
    expect(up.code).not.toBe(0);
    expect(up.output).toMatch(/127\.0\.0\.1:\d+: \/proc\/sys is read-only on this host \(mounted read-only, as in a container\), so kernel\.kptr_restrict cannot be set; nothing was persisted/);
    expect(await sh(vm, `cat ${KEYS}`)).toBe(before);
    expect((await sshExec(vm, "test -e /etc/sysctl.d/90-t.conf || test -e /var/lib/kernelhardening/sysctl/90-t.conf.previous")).code).not.toBe(0);
    expect(await sh(vm, "ls -a /etc/sysctl.d")).not.toMatch(/kh-/);

    await sh(vm, "umount /proc/sys");
    expect((await stack.up()).code).toBe(0);
    expect(await sh(vm, `cat ${KEYS}`)).toBe("2\n11\n");
});
