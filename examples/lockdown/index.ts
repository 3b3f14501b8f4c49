// The post's strongest control: Lockdown `integrity` refuses unsigned modules, kexec_load and
// other ways to change the running kernel, even where module signatures are not enforced.
// Raised live (one way: only a reboot lowers it) and persisted as lockdown=integrity on the
// kernel command line through the host's own boot configuration.
import * as pulumi from "@pulumi/pulumi";
import * as kh from "@kernelhardening/pulumi";

const cfg = new pulumi.Config();

const lockdown = new kh.Lockdown("lockdown", {
    connection: {
        host: cfg.require("host"),
        port: cfg.getNumber("port") ?? 22,
        user: cfg.get("user") ?? "root",
        privateKey: cfg.requireSecret("privateKey"),
        hostKey: cfg.require("hostKey"),
    },
    mode: cfg.get<kh.types.enums.LockdownMode>("mode") ?? kh.types.enums.LockdownMode.Integrity,
});

export const level = lockdown.currentLevel; // the level in force now
export const persistedIn = lockdown.persistedIn; // e.g. /etc/default/grub.d/90-kernelhardening-lockdown.cfg
export const rebootRequired = lockdown.rebootRequired; // true when only a reboot can apply what is declared
