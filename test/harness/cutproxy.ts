// A TCP proxy between the provider and a VM's sshd that can cut the connection once, at a chosen
// point of an SSH session: after a given number of bytes from the server, or a while after a given
// number of bytes from the client (when the server is busy running what the client asked for).
import { createConnection, createServer, Server, Socket } from "net";

/** One chunk passed through the proxy: its direction, the running byte count in that direction, and when. */
export interface Chunk {
    from: "server" | "client";
    end: number;
    t: number;
}

export type Cut = { after: "server"; bytes: number } | { after: "client"; bytes: number; delayMs: number };

export class CutProxy {
    private server!: Server;
    private sockets = new Set<Socket>();
    port = 0;
    private cut: Cut | undefined;
    /** Bytes each way since the last reset. */
    bytes = 0;
    clientBytes = 0;
    /** Every chunk since the last reset: the steps of the session. */
    chunks: Chunk[] = [];
    cuts = 0;

    constructor(private targetPort: number) {}

    start(): Promise<void> {
        this.server = createServer((client) => this.handle(client));
        return new Promise((resolve) => this.server.listen(0, "127.0.0.1", () => {
            this.port = (this.server.address() as { port: number }).port;
            resolve();
        }));
    }

    /** Cut once, at `cut` (byte counts from now). */
    armCut(cut: Cut): void {
        this.reset();
        this.cut = cut;
    }

    /** Count without cutting. */
    measure(): void {
        this.reset();
        this.cut = undefined;
    }

    private reset() {
        this.bytes = 0;
        this.clientBytes = 0;
        this.chunks = [];
    }

    /** A reset, as a dropped network path looks to both ends: every open session is cut. */
    private cutNow() {
        this.cut = undefined;
        this.cuts++;
        for (const s of this.sockets) s.resetAndDestroy();
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
        client.on("data", (d: Buffer) => {
            upstream.write(d);
            this.clientBytes += d.length;
            this.chunks.push({ from: "client", end: this.clientBytes, t: Date.now() });
            const cut = this.cut;
            if (cut?.after === "client" && this.clientBytes >= cut.bytes) {
                this.cut = undefined;
                setTimeout(() => { this.cut = cut; this.cutNow(); }, cut.delayMs);
            }
        });
        upstream.on("data", (d: Buffer) => {
            const cut = this.cut;
            if (cut?.after === "server" && this.bytes + d.length >= cut.bytes) {
                const keep = cut.bytes - this.bytes;
                if (keep > 0) client.write(d.subarray(0, keep));
                this.bytes = cut.bytes;
                this.cutNow();
                return;
            }
            this.bytes += d.length;
            this.chunks.push({ from: "server", end: this.bytes, t: Date.now() });
            client.write(d);
        });
    }

    stop(): Promise<void> {
        for (const s of this.sockets) s.destroy();
        return new Promise((resolve) => this.server.close(() => resolve()));
    }
}
