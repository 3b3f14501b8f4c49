// The bench stack: one Sysctl resource per host (all the bench keys in one drop-in each), every
// host's connection pinned to its own host key. Hosts, keys and the client key come from config
// (bench.ts sets them).
import * as pulumi from "@pulumi/pulumi";
import * as kh from "../../sdk/nodejs/bin";

interface Host {
    name: string;
    port: number;
    hostKey: string;
}

const config = new pulumi.Config();
const hosts = config.requireObject<Host[]>("hosts");
const entries = config.requireObject<Record<string, string>>("entries");
const privateKey = config.requireSecret("privateKey");

for (const h of hosts) {
    new kh.Sysctl(h.name, {
        connection: { host: "127.0.0.1", port: h.port, user: "root", privateKey, hostKey: h.hostKey },
        file: "90-bench.conf",
        entries,
    });
}
