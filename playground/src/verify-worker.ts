// The verifier's Web Worker: assembles and verifies off the page's thread, so typing stays smooth even
// when a program takes the verifier a while.
// Objects with CO-RE relocations or kernel externs are opened against the target the page sends once
// it has loaded it (target.ts).
import { loadObject, type TargetKernel } from "../../src/index.js";
import { targetKernel, type TargetData } from "./target.js";
import { analyze, type VerifyReport, type VerifyRequest } from "./verify-core.js";

/** What the page sends: the request, with the object's bytes instead of a Program when there is one. */
export type WorkerRequest = Omit<VerifyRequest, "program"> & { object?: { name: string; bytes: Uint8Array; program: string } };
/** Sent before the first request that needs it (and to a replacement worker): the target kernel. */
export interface WorkerTarget { target: TargetData }
export type WorkerReply = VerifyReport | { id: number; crash: string };

let cached: { name: string; bytes: Uint8Array; obj: ReturnType<typeof loadObject> } | undefined;
let target: TargetKernel | undefined;

self.onmessage = (e: MessageEvent<WorkerRequest | WorkerTarget>) => {
  if ("target" in e.data) {
    target = targetKernel(e.data.target);
    cached = undefined;
    // parse it and build its name index now, while the page opens the object with its own copy
    target.btf().idsByName("task_struct");
    return;
  }
  const { object, ...req } = e.data;
  let reply: WorkerReply;
  try {
    let program;
    if (object) {
      if (!cached || cached.name !== object.name || cached.bytes.length !== object.bytes.length || !cached.bytes.every((b, i) => b === object.bytes[i])) {
        cached = { name: object.name, bytes: object.bytes, obj: loadObject(object.bytes, { file: object.name, target: () => target }) };
      }
      program = cached.obj.programs.find((p) => p.name === object.program);
    }
    reply = analyze(program ? { ...req, program } : req);
  } catch (err) {
    reply = { id: req.id, crash: err instanceof Error ? `${err.message}` : String(err) };
  }
  (self as unknown as Worker).postMessage(reply);
};
