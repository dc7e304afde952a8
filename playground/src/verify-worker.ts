// The verifier's Web Worker: assembles and verifies off the page's thread, so typing stays smooth even
// when a program takes the verifier a while.
import { loadObject } from "../../src/index.js";
import { analyze, type VerifyReport, type VerifyRequest } from "./verify-core.js";

/** What the page sends: the request, with the object's bytes instead of a Program when there is one. */
export type WorkerRequest = Omit<VerifyRequest, "program"> & { object?: { name: string; bytes: Uint8Array; program: string } };
export type WorkerReply = VerifyReport | { id: number; crash: string };

let cached: { name: string; bytes: Uint8Array; obj: ReturnType<typeof loadObject> } | undefined;

self.onmessage = (e: MessageEvent<WorkerRequest>) => {
  const { object, ...req } = e.data;
  let reply: WorkerReply;
  try {
    let program;
    if (object) {
      if (!cached || cached.name !== object.name || cached.bytes.length !== object.bytes.length || !cached.bytes.every((b, i) => b === object.bytes[i])) {
        cached = { name: object.name, bytes: object.bytes, obj: loadObject(object.bytes, { file: object.name }) };
      }
      program = cached.obj.programs.find((p) => p.name === object.program);
    }
    reply = analyze(program ? { ...req, program } : req);
  } catch (err) {
    reply = { id: req.id, crash: err instanceof Error ? `${err.message}` : String(err) };
  }
  (self as unknown as Worker).postMessage(reply);
};
