// bpffs: where pinned maps, programs and links outlive the process. Deployments live in
// /sys/fs/bpf/bpfkit/<name>/ (BPFKIT_BPFFS overrides the root, e.g. for a private mount).
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { BpfkitError, diag } from "../diagnostics/index.js";
import { mount } from "./sys.js";

export const BPFFS_MOUNT = "/sys/fs/bpf";
export const bpffsRoot = (): string => process.env.BPFKIT_BPFFS ?? join(BPFFS_MOUNT, "bpfkit");

/** Is a bpf filesystem mounted at `dir`? */
export function isBpffs(dir: string): boolean {
  try {
    return readFileSync("/proc/mounts", "utf8").split("\n").some((l) => {
      const [, where, type] = l.split(" ");
      return type === "bpf" && where === dir;
    });
  } catch {
    return false;
  }
}

/** Mount bpffs at /sys/fs/bpf when nothing is mounted there, and create bpfkit's root folder. */
export function ensureBpffs(): string {
  const root = bpffsRoot();
  if (!process.env.BPFKIT_BPFFS && !isBpffs(BPFFS_MOUNT)) {
    if (!existsSync(BPFFS_MOUNT)) throw new BpfkitError(diag("BK7014", { reason: `${BPFFS_MOUNT} does not exist` }), 2);
    mount("bpf", BPFFS_MOUNT, "bpf");
  }
  mkdirSync(root, { recursive: true });
  return root;
}

/** Remove a pinned object or an empty folder; absent is fine. */
export function unpin(path: string): void {
  try {
    if (statSync(path).isDirectory()) rmdirSync(path);
    else unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
  }
}

/** Remove a deployment folder and every pin in it. */
export function removeTree(dir: string): void {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    if (statSync(p).isDirectory()) removeTree(p);
    else unpin(p);
  }
  unpin(dir);
}
