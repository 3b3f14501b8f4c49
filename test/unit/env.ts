// Every unit test process: no read cache (read-cache.ts), so that tests reading a fake host twice see
// both reads; read-cache.test.ts turns it back on for itself.
process.env.KH_READ_CACHE = "off";
