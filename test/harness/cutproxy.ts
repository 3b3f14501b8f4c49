// A TCP proxy between the provider and a VM's sshd that can cut the connection once, after a given
// number of bytes from the server, to put a real connection loss at any point of an SSH session.
import { createConnection, createServer, Server, Socket } from "net";

export class CutProxy {
    private server!: Server;
    private sockets = new Set<Socket>();
    port = 0;
    /** Server-to-client bytes after which the next cut happens; undefined: pass everything. */
    private cutAt: number | undefined;
    /** Server-to-client bytes of all sessions since the last reset. */
    bytes = 0;
    cuts = 0;

    constructor(private targetPort: number) {}

    start(): Promise<void> {
        this.server = createServer((client) => this.handle(client));
        return new Promise((resolve) => this.server.listen(0, "127.0.0.1", () => {
            this.port = (this.server.address() as { port: number }).port;
            resolve();
        }));
    }

    /** Cut once, when the server has sent `n` more bytes (counted from now). */
    armCut(n: number): void {
        this.bytes = 0;
        this.cutAt = n;
    }

    /** Count bytes without cutting. */
    measure(): void {
        this.bytes = 0;
        this.cutAt = undefined;
    }

    private handle(client: Socket) {
        const upstream = createConnection({ host: "127.0.0.1", port: this.targetPort });
        this.sockets.add(client);
        this.sockets.add(upstream);
        const destroyBoth = () => {
            client.destroy();
            upstream.destroy();
        };
        client.on("error", destroyBoth);
        upstream.on("error", destroyBoth);
        client.on("close", () => { upstream.destroy(); this.sockets.delete(client); });
        upstream.on("close", () => { client.destroy(); this.sockets.delete(upstream); });
        client.on("data", (d) => upstream.write(d));
        upstream.on("data", (d: Buffer) => {
            if (this.cutAt !== undefined && this.bytes + d.length >= this.cutAt) {
                const keep = this.cutAt - this.bytes;
                if (keep > 0) client.write(d.subarray(0, keep));
                this.bytes = this.cutAt;
                this.cutAt = undefined;
                this.cuts++;
                // A reset, as a dropped network path looks to both ends.
                client.resetAndDestroy();
                upstream.resetAndDestroy();
                return;
            }
            this.bytes += d.length;
            client.write(d);
        });
    }

    stop(): Promise<void> {
        for (const s of this.sockets) s.destroy();
        return new Promise((resolve) => this.server.close(() => resolve()));
    }
}
