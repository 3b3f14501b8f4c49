// The contract for provider functions (invokes).
import { CheckFailure, Props } from "../protocol/contract";

export interface FunctionHandler {
    token: string;
    check(args: Props): { args: Props; failures: CheckFailure[] };
    invoke(args: Props): Promise<Props>;
}
