// Module-signature enforcement on a fleet of stock Debian kernels: `module.sig_enforce=1` goes on
// each host's kernel command line through its own boot configuration, and the hosts reboot in
// batches. A batch reboots only after every host of the batch before it is back and verified
// (HostReboot fails the update otherwise, and Pulumi stops there), expressed with dependsOn.
// A host whose parameters are already in force is never rebooted, so a second `up` changes nothing.
//
//   pulumi config set --path 'hosts[0].host' 203.0.113.10   (and .port, .hostKey, .user)
//   pulumi config set --secret privateKey < ~/.ssh/id_ed25519
import * as pulumi from "@pulumi/pulumi";
import * as kh from "../../sdk/nodejs/bin";

interface Host {
    host: string;
    port?: number;
    user?: string;
    hostKey: string;
}

const cfg = new pulumi.Config();
const hosts = cfg.requireObject<Host[]>("hosts");
const privateKey = cfg.requireSecret("privateKey");
const parameters = cfg.getObject<Record<string, string>>("parameters") ?? { "module.sig_enforce": "1" };
// allowOneWay also raises module.sig_enforce at run time, so each host refuses unsigned modules before its reboot.
const allowOneWay = cfg.getBoolean("allowOneWay") ?? false;
const reboot = cfg.getBoolean("reboot") ?? true;
const batchSize = cfg.getNumber("batchSize") ?? 1;

let previousBatch: pulumi.Resource[] = [];
let batch: pulumi.Resource[] = [];
export const hostsOut: Record<string, pulumi.Output<unknown>> = {};

hosts.forEach((h, i) => {
    if (i > 0 && i % batchSize === 0) {
        previousBatch = batch;
        batch = [];
    }
    const connection = { host: h.host, port: h.port ?? 22, user: h.user ?? "root", privateKey, hostKey: h.hostKey };
    const cmdline = new kh.KernelCmdline(`cmdline-${i}`, { connection, parameters, allowOneWay });
    const out: Record<string, pulumi.Output<unknown>> = {
        pendingReboot: cmdline.pendingReboot,
        inForce: cmdline.inForce,
    };
    if (reboot) {
        const r = new kh.HostReboot(
            `reboot-${i}`,
            { connection, rebootRequired: [cmdline.rebootRequired], expectCmdline: cmdline.parameters, timeoutSeconds: cfg.getNumber("timeoutSeconds") ?? 600 },
            { dependsOn: previousBatch },
        );
        batch.push(r);
        out.rebooted = r.rebooted;
        out.bootId = r.bootId;
    }
    hostsOut[`${h.host}:${h.port ?? 22}`] = pulumi.output(out);
});
