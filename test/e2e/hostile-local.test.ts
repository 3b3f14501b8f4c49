// A local unprivileged user on the host (kh, in its own shell: no sudo) against the host lock
// (issue 14, finding 1). Before, the lock and its owner record lived in world-writable /run/lock:
// a symlink there made root overwrite any file, and a lock file held by the user made every apply
// fail. Now they live in /run/kernelhardening, which only root can write.
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

const sysctl = [{ type: "Sysctl", name: "t", args: { file: "90-t.conf", entries: { "kernel.kptr_restrict": "2" } } }];
const asKh = (cmd: string) => sshExec(vm, cmd, { user: "kh" });

test("traps a local user sets in /run/lock (a symlinked owner record, a lock they hold) neither hijack nor block an apply", async () => {
    await sh(vm, "printf 'precious\\n' > /etc/kh-victim && chmod 600 /etc/kh-victim");
    // The user's traps: the owner record a symlink to a root file, the lock file theirs and held.
    expect((await asKh("ln -s /etc/kh-victim /run/lock/kernelhardening.owner && : > /run/lock/kernelhardening.lock")).code).toBe(0);
    await asKh("setsid nohup flock /run/lock/kernelhardening.lock sleep 900 > /dev/null 2>&1 < /dev/null &");
    expect((await asKh("pgrep -u kh -f 'flock /run/lock/kernelhardening.lock'")).code).toBe(0);
    // Nor can they get at the lock's own directory, before or after the first apply.
    expect((await asKh("mkdir /run/kernelhardening")).code).not.toBe(0);

    stack = await newStack(connectionFor(vm), sysctl);
    const t = Date.now();
    const up = await stack.up();
    expect(up.output).not.toMatch(/host lock busy|cannot lock/);
    expect(up.code).toBe(0);
    expect(Date.now() - t).toBeLessThan(110_000); // never waited out the user's lock (120 s)
    expect(await sh(vm, "cat /etc/kh-victim")).toBe("precious\n");
    expect((await sh(vm, "cat /proc/sys/kernel/kptr_restrict")).trim()).toBe("2");
    expect(await sh(vm, "stat -c '%a %U' /run/kernelhardening; ls /run/kernelhardening")).toBe("700 root\nlock\nowner\n");
    expect((await asKh("ls /run/kernelhardening; : > /run/kernelhardening/owner")).code).not.toBe(0);
});

test("a host without flock(1): the apply is refused with a clear error, nothing changed", async () => {
    await sh(vm, "mv /usr/bin/flock /usr/bin/flock.hidden");
    stack = await newStack(connectionFor(vm), sysctl);
    const up = await stack.up();
    expect(up.code).not.toBe(0);
    expect(up.output).toMatch(/cannot lock the host: flock\(1\) \(util-linux\) is not installed; nothing was changed/);
    expect((await sh(vm, "cat /proc/sys/kernel/kptr_restrict")).trim()).toBe("0");
    expect((await sshExec(vm, "test -e /etc/sysctl.d/90-t.conf")).code).not.toBe(0);
});
