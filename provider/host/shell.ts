// The prelude shared by the scripts we run on hosts (provider/host/prelude.sh). Every script is a
// constant: user data only ever arrives on stdin as base64 records (see records.ts), is decoded
// into variables, and is used quoted ("$var") as data, never as code.
import { shellScript } from "./scripts";

export const SH_PRELUDE = shellScript(__dirname);
