// Pieces every resource shares: the connection's secret fields and whether it is fully known.
import { Connection, SECRET_CONNECTION_FIELDS } from "../ssh/connection";
import { containsUnknown } from "../protocol/values";

export const connectionSecretPaths: string[] = [
    ...SECRET_CONNECTION_FIELDS.map((f) => `connection.${f}`),
    ...SECRET_CONNECTION_FIELDS.map((f) => `connection.proxy.${f}`),
];

export function connectionKnown(c: Connection): boolean {
    return !containsUnknown(c);
}
