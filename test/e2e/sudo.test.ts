// sudo end to end on the Debian 12 VM: a password given to `sudo -S` (connection.sudoPassword), and
// the clear errors for a sudo that wants a password, a wrong one, requiretty, and a host without sudo.
import { connectionFor, sh, VmState } from "../harness/vm";
import { Stack } from "../harness/pulumi";
import { newStack, pristineVm, ResourceSpec } from "./shared";

jest.setTimeout(600_000);

const PASSWORD = "khpw-password"; // the harness user khpw's password (scripts/build-vm-image.sh)
const SYSCTL: ResourceSpec = { type: "Sysctl", name: "s", args: { file: "90-sudo.conf", entries: { "kernel.kptr_restrict": "2" } } };

let vm: VmState;
let stack: Stack | undefined;

beforeEach(async () => {
    vm = await pristineVm();
});

afterEach(() => {
    stack?.cleanup();
    stack = undefined;
});

test("sudoPassword: a user whose sudo asks for a password applies through sudo -S; the password is in no log, state or command line", async () => {
    stack = await newStack({ ...connectionFor(vm, "khpw"), sudoPassword: PASSWORD }, [SYSCTL]);
    const up = await stack.up();
    expect(up.code).toBe(0);
    expect(await sh(vm, "cat /proc/sys/kernel/kptr_restrict")).toBe("2\n");
    expect(await sh(vm, "stat -c '%U %a' /etc/sysctl.d/90-sudo.conf")).toBe("root 644\n");
    // A second up reads through sudo again and changes nothing.
    const again = await stack.up();
    expect(again.code).toBe(0);
    expect(again.output).not.toMatch(/updated|created/);
    expect(up.output + again.output).not.toContain(PASSWORD);
    // In state only encrypted: the export without --show-secrets never holds it.
    expect(JSON.stringify(await stack.state(false))).not.toContain(PASSWORD);
    expect(JSON.stringify(await stack.state(true))).toContain(PASSWORD); // there, decrypted only when asked
    // sudo logged the command it ran (a constant script): the password is not in it.
    const log = await sh(vm, "journalctl -q --no-pager _COMM=sudo 2>/dev/null; cat /var/log/auth.log 2>/dev/null; true");
    expect(log).toMatch(/khpw : .*COMMAND=\/bin\/sh -c/);
    expect(log).not.toContain(PASSWORD);
});

test("without sudoPassword, and with a wrong one: clear errors that never echo the password", async () => {
    stack = await newStack(connectionFor(vm, "khpw"), [SYSCTL]);
    const none = await stack.up();
    expect(none.code).not.toBe(0);
    expect(none.output).toMatch(/127\.0\.0\.1:\d+: sudo asks user khpw for a password: set connection\.sudoPassword/);
    stack.cleanup();
    stack = await newStack({ ...connectionFor(vm, "khpw"), sudoPassword: "not-the-password" }, [SYSCTL]);
    const wrong = await stack.up();
    expect(wrong.code).not.toBe(0);
    expect(wrong.output).toMatch(/127\.0\.0\.1:\d+: sudo did not accept connection\.sudoPassword for user khpw/);
    expect(wrong.output).not.toContain("not-the-password");
    expect(await sh(vm, "cat /proc/sys/kernel/kptr_restrict")).toBe("0\n");
});

test("a sudo with requiretty, and a host without sudo, each get an error that says so", async () => {
    await sh(vm, "echo 'Defaults:kh requiretty' > /etc/sudoers.d/zz-tty && chmod 440 /etc/sudoers.d/zz-tty && visudo -c >/dev/null");
    stack = await newStack(connectionFor(vm, "kh"), [SYSCTL]);
    const tty = await stack.up();
    expect(tty.code).not.toBe(0);
    expect(tty.output).toMatch(/sudo on this host requires a terminal for user kh \(Defaults requiretty\); the provider runs without one: add "Defaults:kh !requiretty" to sudoers/);

    await sh(vm, "rm /etc/sudoers.d/zz-tty && mv /usr/bin/sudo /usr/bin/sudo.off");
    const gone = await stack.up();
    expect(gone.code).not.toBe(0);
    expect(gone.output).toMatch(/127\.0\.0\.1:\d+: sudo is not installed on this host \(user kh is not root\)/);
    await sh(vm, "mv /usr/bin/sudo.off /usr/bin/sudo");
    expect((await stack.up()).code).toBe(0);
});
