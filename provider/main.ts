#!/usr/bin/env node
// Entry point of pulumi-resource-kernelhardening: serve the provider on a free loopback port and
// tell the engine which one on stdout (the only thing ever written there).
import { appendFileSync } from "fs";
import { setFlagsFromString } from "v8";
import * as grpc from "@grpc/grpc-js";
import * as providerGrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import { EngineLogger } from "./protocol/engine";
import { makeService } from "./protocol/server";
import { definition } from "./definition";
import { pool } from "./ssh/pool";

// KH_OPTIMIZE_FOR_SIZE=1: V8 keeps its heap near the live size instead of growing it to several
// times that (at N = 500: 129 MB peak RSS instead of 258 MB), for more time in GC. Off by default:
// it cost 10-30 % more time at N = 50 (bench/RESULTS-2026-12-02-optimize-for-size.md).
if (process.env.KH_OPTIMIZE_FOR_SIZE === "1") setFlagsFromString("--optimize-for-size");
// After each full GC V8 lets the heap grow to up to 4x what is live when GC is fast: at N = 500 that
// was 238-246 MB peak RSS for about 70 MB live; 1.5x held it at 166-169 MB, and its effect on time was
// within the runs' spread (bench/RESULTS-2026-12-03-*.md, knob rows). KH_HEAP_GROWING_PERCENT=P sets
// (1 + P/100), 0 V8's own.
const growing = process.env.KH_HEAP_GROWING_PERCENT ?? "50";
if (/^[1-9]\d{0,2}$/.test(growing)) setFlagsFromString(`--heap-growing-percent=${growing}`);

async function main() {
    const engineAddress = process.argv.slice(2).find((a) => !a.startsWith("-"));
    const engine = new EngineLogger(engineAddress);
    const server = new grpc.Server({ "grpc.max_receive_message_length": 64 * 1024 * 1024 });
    server.addService(providerGrpc.ResourceProviderService, makeService(definition(engineAddress), engine));
    const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    process.stdout.write(`${port}\n`);
    const shutdown = () => {
        pool.closeAll();
        server.tryShutdown(() => process.exit(0));
        setTimeout(() => process.exit(0), 2000).unref();
    };
    process.on("SIGINT", shutdown);
    process.on("SIGTERM", shutdown);
    traceMemory(process.env.KH_MEMORY_TRACE);
}

/** KH_MEMORY_TRACE=FILE: this process's memory (V8 heap, buffers, RSS) every 250 ms, for the benchmark's profile. */
function traceMemory(file: string | undefined) {
    if (!file) return;
    const t0 = Date.now();
    setInterval(() => {
        const m = process.memoryUsage();
        const mb = (n: number) => Math.round(n / 104857.6) / 10;
        const line = {
            pid: process.pid,
            t: (Date.now() - t0) / 1000,
            rss: mb(m.rss),
            heapUsed: mb(m.heapUsed),
            heapTotal: mb(m.heapTotal),
            external: mb(m.external),
            arrayBuffers: mb(m.arrayBuffers),
        };
        appendFileSync(file, JSON.stringify(line) + "\n");
    }, 250).unref();
}

main().catch((err) => {
    process.stderr.write(`pulumi-resource-kernelhardening: ${err instanceof Error ? err.message : err}\n`);
    process.exit(1);
});
