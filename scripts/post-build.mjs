// Makes the CLI entry executable after tsc, so `npm install` leaves a working `bpfkit` bin.
import { chmodSync, existsSync } from "node:fs";
const cli = new URL("../dist/cli/main.js", import.meta.url);
if (existsSync(cli)) chmodSync(cli, 0o755);
