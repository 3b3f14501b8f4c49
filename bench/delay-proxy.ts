// A TCP proxy that adds a fixed one-way delay in each direction, in front of every host's port:
// this kernel has no netem, so `tc qdisc ... delay` cannot do it.
//
//   npx tsx bench/delay-proxy.ts DELAY_MS LISTEN:TARGET [LISTEN:TARGET...]
//
// Listens on 127.0.0.1:LISTEN and forwards to 127.0.0.1:TARGET only. Prints "ready" once every
// port listens. Every chunk is delivered DELAY_MS after it arrived (timers with equal delays fire
// in order, so byte order is kept). A new connection reaches the target only after 3 x DELAY_MS,
// the TCP three-way handshake of a real path (the server accepts on the client's ACK), so each
// SSH connection pays the handshake's round trip as it would on a real network.
import { createServer, Socket } from "net";

const [delayArg, ...maps] = process.argv.slice(2);
const delay = Number(delayArg);
if (!Number.isFinite(delay) || delay < 0 || maps.length === 0) {
    process.stderr.write("usage: delay-proxy.ts DELAY_MS LISTEN:TARGET...\n");
    process.exit(2);
}

/** Copies src to dst with the delay; backpressure pauses src while dst's buffer is full. */
function pipeDelayed(src: Socket, dst: Socket, ready: () => boolean, queue: Buffer[]) {
    src.on("data", (chunk: Buffer) => {
        const send = () => {
            if (dst.destroyed) return;
            if (!ready()) return void queue.push(chunk);
            if (!dst.write(chunk)) {
                src.pause();
                dst.once("drain", () => src.resume());
            }
        };
        if (delay === 0) send();
        else setTimeout(send, delay);
    });
    src.on("end", () => {
        if (delay === 0) dst.end();
        else setTimeout(() => dst.end(), delay);
    });
}

function handle(client: Socket, target: number) {
    client.setNoDelay(true);
    const upstream = new Socket();
    upstream.setNoDelay(true);
    let connected = false;
    const early: Buffer[] = [];
    const both = () => {
        client.destroy();
        upstream.destroy();
    };
    client.on("error", both);
    upstream.on("error", both);
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
    pipeDelayed(client, upstream, () => connected, early);
    pipeDelayed(upstream, client, () => true, []);
    const connect = () =>
        upstream.connect({ host: "127.0.0.1", port: target }, () => {
            connected = true;
            // Bytes the client sent before the handshake would have completed arrive now, in order.
            for (const c of early.splice(0)) upstream.write(c);
        });
    if (delay === 0) connect();
    else setTimeout(connect, 3 * delay);
}

let listening = 0;
for (const m of maps) {
    const [listen, target] = m.split(":").map(Number);
    const server = createServer((c) => handle(c, target));
    server.on("error", (err) => {
        process.stderr.write(`delay-proxy: 127.0.0.1:${listen}: ${err.message}\n`);
        process.exit(1);
    });
    server.listen(listen, "127.0.0.1", () => {
        if (++listening === maps.length) process.stdout.write("ready\n");
    });
}
// Ends with the bench: when the parent closes our stdin (or dies), exit.
process.stdin.on("end", () => process.exit(0));
process.stdin.on("close", () => process.exit(0));
process.stdin.resume();
