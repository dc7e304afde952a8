// `bpfkit playground [--port N] [--host H] [--dir D]`: serve the built playground (a static folder made by
// `npm run build:playground`) on this machine with a small node:http file server. The playground itself
// talks to no server: this only hands out its files.
import { createServer, type Server } from "node:http";
import { existsSync, readFileSync, statSync } from "node:fs";
import { extname, join, normalize, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import { action } from "../run-command.js";

/** playground/dist of this package: three levels above dist/cli/commands/ (and src/cli/commands/). */
export const DEFAULT_DIR = resolve(fileURLToPath(new URL(".", import.meta.url)), "../../../playground/dist");

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
  ".json": "application/json", ".png": "image/png", ".svg": "image/svg+xml", ".wasm": "application/wasm",
  ".ico": "image/x-icon", ".txt": "text/plain; charset=utf-8", ".map": "application/json",
};

export interface PlaygroundServer { url: string; server: Server; close(): Promise<void> }

/** Serve `dir` on host:port (port 0: any free one). Only files inside `dir` are served; `/` is index.html. */
export function servePlayground(opts: { dir?: string; port?: number; host?: string } = {}): Promise<PlaygroundServer> {
  const root = resolve(opts.dir ?? DEFAULT_DIR);
  const host = opts.host ?? "127.0.0.1";
  const server = createServer((req, res) => {
    const path = decodeURIComponent((req.url ?? "/").split("?")[0]!.split("#")[0]!);
    const file = normalize(join(root, path.endsWith("/") ? `${path}index.html` : path));
    if (req.method !== "GET" && req.method !== "HEAD") { res.writeHead(405, { allow: "GET, HEAD" }).end(); return; }
    if (file !== root && !file.startsWith(root + sep)) { res.writeHead(403).end("forbidden"); return; }
    if (!existsSync(file) || !statSync(file).isFile()) { res.writeHead(404, { "content-type": "text/plain" }).end(`not found: ${path}`); return; }
    const body = readFileSync(file);
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "content-length": body.length, "cache-control": "no-cache" });
    res.end(req.method === "HEAD" ? undefined : body);
  });
  return new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(opts.port ?? 8080, host, () => {
      const a = server.address();
      const port = typeof a === "object" && a ? a.port : opts.port;
      ok({
        url: `http://${host.includes(":") ? `[${host}]` : host}:${port}/`,
        server,
        close: () => new Promise<void>((done) => server.close(() => done())),
      });
    });
  });
}

export function register(program: Command): void {
  program
    .command("playground")
    .description("serve the browser playground (built by `npm run build:playground`) on this machine")
    .option("--port <n>", "port to listen on (0: any free port)", "8080")
    .option("--host <addr>", "address to listen on", "127.0.0.1")
    .option("--dir <folder>", "the built playground folder", DEFAULT_DIR)
    .action(action(async (opts: { port: string; host: string; dir: string }) => {
      const port = Number(opts.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) { process.stderr.write(`bpfkit playground: --port must be 0-65535, got '${opts.port}'\n`); return 2; }
      if (!existsSync(join(opts.dir, "index.html"))) {
        process.stderr.write(`bpfkit playground: no built playground in ${opts.dir}: run \`npm run build:playground\` first\n`);
        return 2;
      }
      let s: PlaygroundServer;
      try {
        s = await servePlayground({ dir: opts.dir, port, host: opts.host });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        process.stderr.write(`bpfkit playground: cannot listen on ${opts.host}:${port}: ${e.code ?? e.message}${e.code === "EADDRINUSE" ? " (try --port 0)" : ""}\n`);
        return 2;
      }
      process.stdout.write(`bpfkit playground: ${s.url} (serving ${opts.dir}; Ctrl-C to stop)\n`);
      await new Promise<void>((done) => {
        const stop = (): void => { void s.close().then(done); };
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
      });
      return 0;
    }));
}
