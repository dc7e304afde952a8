// `expect` lines of a scenario, checked against a report (either runner's): a message when it fails.
import type { ScenarioReport, SimSocketReport } from "./report.js";
import type { Expectation } from "./scenario.js";

const show = (b: Uint8Array): string => {
  const text = new TextDecoder().decode(b);
  return /^[\x20-\x7e\n\t]*$/.test(text) ? JSON.stringify(text.length > 60 ? text.slice(0, 57) + "..." : text) : `${b.length} bytes`;
};

export function checkExpectation(e: Expectation, r: ScenarioReport): string | undefined {
  if (e.kind === "entries") {
    const m = r.maps.find((x) => x.name === e.map);
    if (!m) return `no map '${e.map}' (maps: ${r.maps.map((x) => x.name).join(", ")})`;
    return m.entries.length === e.count ? undefined : `map ${e.map} has ${m.entries.length} entries, expected ${e.count}`;
  }
  const s = r.sockets.find((x) => x.name === e.name);
  if (!s) return `no socket '${e.name}'`;
  switch (e.kind) {
    case "received":
      if (e.text) return s.received.length === e.text.length && s.received.every((b, i) => b === e.text![i]) ? undefined
        : `${e.name} received ${show(s.received)}, expected ${show(e.text)}`;
      return s.received.length === e.bytes ? undefined : `${e.name} received ${s.received.length} bytes, expected ${e.bytes}`;
    case "state":
      return s.state === e.state ? undefined : `${e.name} is ${s.state}, expected ${e.state}`;
    case "result": {
      const last = [...r.steps].reverse().find((x) => x.socket === e.name);
      const got = last?.result ?? "(no call)";
      const norm = (t: string): string => (/^\d+ bytes$/.test(t) || t === "ok" ? "OK" : t.toUpperCase());
      return norm(got) === e.result || got.toUpperCase() === e.result ? undefined : `the last call on ${e.name} answered ${got}, expected ${e.result}`;
    }
    case "path": {
      const sim = s as Partial<SimSocketReport>;
      if (!sim.deliveries) return undefined;
      const got = sim.deliveries.filter((d) => d.path === e.path).reduce((n, d) => n + d.bytes, 0);
      return got === e.bytes ? undefined : `${e.name} got ${got} bytes by ${e.path}, expected ${e.bytes}`;
    }
  }
}
