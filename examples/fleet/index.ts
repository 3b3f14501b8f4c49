// The slice's program as a project's program (Pulumi.yaml, or driver.ts --local): program.ts's code.
import { fleetProgram } from "./program";

const out = fleetProgram();
export const hostCount = out.hostCount;
export const auditFailures = out.auditFailures;
