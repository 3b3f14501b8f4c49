// Messages to the Pulumi engine's log, shown in the CLI against the resource they concern.
import * as grpc from "@grpc/grpc-js";
import * as engineGrpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as enginePb from "@pulumi/pulumi/proto/engine_pb";
import { sanitize } from "../ssh/redact";

export type Severity = "debug" | "info" | "warning" | "error";

const SEVERITY: Record<Severity, enginePb.LogSeverity> = {
    debug: enginePb.LogSeverity.DEBUG,
    info: enginePb.LogSeverity.INFO,
    warning: enginePb.LogSeverity.WARNING,
    error: enginePb.LogSeverity.ERROR,
};

export class EngineLogger {
    private client?: engineGrpc.EngineClient;

    constructor(address?: string) {
        if (address) this.client = new engineGrpc.EngineClient(address, grpc.credentials.createInsecure());
    }

    log(severity: Severity, raw: string, urn = ""): void {
        const message = sanitize(raw); // every log line leaves here: no secret, no control character
        if (!this.client) {
            // stdout belongs to the port handshake; stderr is shown by the engine.
            process.stderr.write(`${severity}: ${message}\n`);
            return;
        }
        const req = new enginePb.LogRequest().setSeverity(SEVERITY[severity]).setMessage(message).setUrn(urn);
        this.client.log(req, () => undefined);
    }
}
