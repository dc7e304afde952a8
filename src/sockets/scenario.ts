// Scenario files: a socket world written down one step per line, run offline by the simulated host
// (world.ts, `bpfkit run --scenario FILE`) and live by the kernel runner (src/testing/sockets-live.ts),
// so the same file is a unit test, a CLI demo and a differential test case. The format is in
// docs/sockets.md. Parsing checks what can be checked without running: syntax, addresses, hooks, and
// that every socket a step names was created by an earlier step; the world checks states when it runs.
import { BpfkitError, diag } from "../diagnostics/index.js";
import { formatIpv4, formatIpv6, parseIpv4, parseIpv6 } from "../packet/addr.js";
import { AttachType } from "../progtypes/numbers.js";

export type SocketKind = "tcp" | "tcp6" | "udp" | "udp6";

/** An address and port: `127.0.0.1:8080`, `[::1]:8080`. */
export interface Endpoint {
  family: 4 | 6;
  /** 4 or 16 bytes, network order. */
  addr: Uint8Array;
  port: number;
}

/** Where a program attaches: a cgroup hook (the world's cgroup) or a sockmap / sockhash. */
export interface HookInfo {
  name: string;
  kind: "cgroup" | "map";
  attachType: number;
  /** Section-style program type the program must have (`sockops`, `sk_msg`, `sk_skb`, `cgroup_sock_addr`). */
  progType: "sock_ops" | "sk_msg" | "sk_skb" | "cgroup_sock_addr";
}

export const HOOKS: Readonly<Record<string, HookInfo>> = Object.fromEntries(([
  ["sockops", "cgroup", AttachType.CGROUP_SOCK_OPS, "sock_ops"],
  ["sk_msg", "map", AttachType.SK_MSG_VERDICT, "sk_msg"],
  ["stream_parser", "map", AttachType.SK_SKB_STREAM_PARSER, "sk_skb"],
  ["stream_verdict", "map", AttachType.SK_SKB_STREAM_VERDICT, "sk_skb"],
  ["sk_skb_verdict", "map", AttachType.SK_SKB_VERDICT, "sk_skb"],
  ["connect4", "cgroup", AttachType.CGROUP_INET4_CONNECT, "cgroup_sock_addr"],
  ["connect6", "cgroup", AttachType.CGROUP_INET6_CONNECT, "cgroup_sock_addr"],
  ["bind4", "cgroup", AttachType.CGROUP_INET4_BIND, "cgroup_sock_addr"],
  ["bind6", "cgroup", AttachType.CGROUP_INET6_BIND, "cgroup_sock_addr"],
  ["getpeername4", "cgroup", AttachType.CGROUP_INET4_GETPEERNAME, "cgroup_sock_addr"],
  ["getpeername6", "cgroup", AttachType.CGROUP_INET6_GETPEERNAME, "cgroup_sock_addr"],
  ["getsockname4", "cgroup", AttachType.CGROUP_INET4_GETSOCKNAME, "cgroup_sock_addr"],
  ["getsockname6", "cgroup", AttachType.CGROUP_INET6_GETSOCKNAME, "cgroup_sock_addr"],
  ["sendmsg4", "cgroup", AttachType.CGROUP_UDP4_SENDMSG, "cgroup_sock_addr"],
  ["sendmsg6", "cgroup", AttachType.CGROUP_UDP6_SENDMSG, "cgroup_sock_addr"],
  ["recvmsg4", "cgroup", AttachType.CGROUP_UDP4_RECVMSG, "cgroup_sock_addr"],
  ["recvmsg6", "cgroup", AttachType.CGROUP_UDP6_RECVMSG, "cgroup_sock_addr"],
] as const).map(([name, kind, attachType, progType]) => [name, { name, kind, attachType, progType }]));

export type Step =
  | { op: "attach"; prog: string; hook: HookInfo; map?: string }
  | { op: "detach"; prog: string; hook: HookInfo; map?: string }
  /** A map entry set from user space; for a sockmap / sockhash `value` names a socket. `flags`: BPF_ANY 0, BPF_NOEXIST 1, BPF_EXIST 2. */
  | { op: "map"; map: string; key: string; value: string; flags?: number }
  | { op: "unmap"; map: string; key: string }
  | { op: "socket"; name: string; kind: SocketKind; outside: boolean }
  | { op: "bind"; name: string; addr: Endpoint }
  | { op: "listen"; name: string }
  | { op: "connect"; name: string; addr: Endpoint }
  | { op: "accept"; name: string; listener: string }
  | { op: "send"; name: string; data: Uint8Array }
  | { op: "sendto"; name: string; addr: Endpoint; data: Uint8Array }
  | { op: "recv"; name: string }
  | { op: "shutdown"; name: string }
  | { op: "close"; name: string }
  | { op: "getpeername"; name: string }
  | { op: "getsockname"; name: string }
  /** Record a map's entries at this point of the scenario (the report's step gets them). */
  | { op: "dump"; map: string }
  /** Let time pass: delayed ACKs go out (the live runner sleeps). */
  | { op: "wait"; ms: number }
  | { op: "expect"; what: Expectation };

export type Expectation =
  | { kind: "received"; name: string; bytes?: number; text?: Uint8Array }
  | { kind: "state"; name: string; state: string }
  | { kind: "result"; name: string; result: string }
  | { kind: "entries"; map: string; count: number }
  | { kind: "path"; name: string; path: DeliveryPath; bytes: number };

/** How bytes reached a socket's receive queue. */
export type DeliveryPath = "stack" | "sk_msg" | "sk_skb";

export type Located<T> = T & { line: number };

export interface Scenario {
  /** The scenario file's name (for messages). */
  file: string;
  /** `program FILE`: the object, as written (relative to the scenario file). */
  program?: string;
  steps: Located<Step>[];
}

/** Socket and TCP state names (enum in include/net/tcp_states.h, as BPF sees them). */
export const TCP_STATES = ["", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2", "TIME_WAIT", "CLOSE",
  "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING", "NEW_SYN_RECV", "BOUND_INACTIVE"] as const;

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export function parseEndpoint(text: string, what = "address"): Endpoint {
  const v6 = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(text);
  const v4 = /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(text);
  const m = v6 ?? v4;
  if (!m) throw new Error(`${what} '${text}' must be ADDR:PORT (127.0.0.1:8080) or [IPV6]:PORT ([::1]:8080)`);
  const port = Number(m[2]);
  if (port > 65535) throw new Error(`${what} '${text}': port ${port} is more than 65535`);
  let addr: Uint8Array;
  try { addr = v6 ? parseIpv6(m[1]!, what) : parseIpv4(m[1]!, what); } catch { throw new Error(`${what} '${text}': '${m[1]}' is not an IPv${v6 ? 6 : 4} address`); }
  return { family: v6 ? 6 : 4, addr, port };
}

export function formatEndpoint(e: Endpoint): string {
  return e.family === 4 ? `${formatIpv4(e.addr)}:${e.port}` : `[${formatIpv6(e.addr)}]:${e.port}`;
}

/**
 * The bytes `send NAME SIZE` sends: letters a-z from a per-line start, so each send's bytes are
 * recognisable in what a socket received (and both runners produce the same ones).
 */
export function payload(size: number, line: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = 97 + ((line + i) % 26);
  return out;
}

/** Split a line into words; "quoted text" (JSON escapes) is one word, returned as { text }. */
function words(line: string, fail: (what: string) => never): (string | { text: string })[] {
  const out: (string | { text: string })[] = [];
  let i = 0;
  while (i < line.length) {
    const c = line[i]!;
    if (c === " " || c === "\t") { i++; continue; }
    if (c === "#") break;
    if (c === '"') {
      let j = i + 1;
      while (j < line.length && line[j] !== '"') j += line[j] === "\\" ? 2 : 1;
      if (j >= line.length) fail("unterminated quoted text");
      try { out.push({ text: JSON.parse(line.slice(i, j + 1)) as string }); } catch { fail(`bad escape in ${line.slice(i, j + 1)}`); }
      i = j + 1;
      continue;
    }
    let j = i;
    while (j < line.length && line[j] !== " " && line[j] !== "\t") j++;
    out.push(line.slice(i, j));
    i = j;
  }
  return out;
}

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Parse a scenario; every problem is a BK9701 at its line (all lines are checked, all problems reported). */
export function parseScenario(text: string, file = "scenario"): Scenario {
  const scenario: Scenario = { file, steps: [] };
  const problems: ReturnType<typeof diag>[] = [];
  const sockets = new Map<string, { kind: SocketKind; line: number }>();
  const lines = text.split(/\r?\n/);
  for (let n = 0; n < lines.length; n++) {
    const line = n + 1;
    const fail = (what: string): never => { throw new BpfkitError(diag("BK9701", { what }, { file, line })); };
    try {
      const w = words(lines[n]!, fail);
      if (!w.length) continue;
      const [cmd, ...args] = w;
      if (typeof cmd !== "string") fail("a line starts with a command, not quoted text");
      const word = (i: number, what: string): string => {
        const a = args[i];
        if (a === undefined) fail(`'${cmd}' needs ${what}`);
        if (typeof a !== "string") fail(`${what} cannot be quoted text`);
        return a as string;
      };
      const arity = (min: number, max: number, usage: string): void => {
        if (args.length < min || args.length > max) fail(`'${cmd}' takes ${usage} (${args.length} word${args.length === 1 ? "" : "s"} given)`);
      };
      const known = (name: string): string => {
        if (!sockets.has(name)) fail(`no socket '${name}' was created before this line (create it with 'socket ${name} tcp')`);
        return name;
      };
      const fresh = (name: string): string => {
        if (!NAME_RE.test(name)) fail(`'${name}' is not a socket name (letters, digits, '_', '.', '-'; not starting with a digit)`);
        const prev = sockets.get(name);
        if (prev) fail(`socket '${name}' already exists (created on line ${prev.line})`);
        return name;
      };
      const endpoint = (i: number): Endpoint => {
        try { return parseEndpoint(word(i, "an address"), "address"); } catch (e) { return fail((e as Error).message); }
      };
      const data = (i: number): Uint8Array => {
        const a = args[i];
        if (a === undefined) fail(`'${cmd}' needs the data: a byte count, "text" or hex:BYTES`);
        if (typeof a !== "string") return utf8(a!.text);
        if (/^\d+$/.test(a)) {
          const size = Number(a);
          if (size < 1 || size > 1 << 20) fail(`send size ${size} must be 1 to ${1 << 20} bytes`);
          return payload(size, line);
        }
        const hex = /^hex:([0-9a-fA-F]*)$/.exec(a);
        if (hex && hex[1]!.length % 2 === 0 && hex[1]!.length > 0) return Uint8Array.from(hex[1]!.match(/../g)!.map((h) => parseInt(h, 16)));
        return fail(`'${a}' is not data: give a byte count, "quoted text" or hex:BYTES`);
      };
      const at = <T extends Step>(s: T): void => { scenario.steps.push({ ...s, line }); };
      switch (cmd) {
        case "program": {
          arity(1, 1, "the object file");
          if (scenario.program !== undefined) fail("only one 'program' line (one object whose programs share maps)");
          scenario.program = word(0, "a file");
          break;
        }
        case "attach": case "detach": {
          arity(2, 3, "PROGRAM HOOK [MAP]");
          const prog = word(0, "a program name");
          const hookName = word(1, "a hook");
          const hook = HOOKS[hookName];
          if (!hook) fail(`unknown hook '${hookName}' (one of ${Object.keys(HOOKS).join(", ")})`);
          if (hook!.kind === "map" && args.length !== 3) fail(`hook ${hookName} attaches to a sockmap or sockhash: '${cmd} ${prog} ${hookName} MAP'`);
          if (hook!.kind === "cgroup" && args.length !== 2) fail(`hook ${hookName} attaches to the world's cgroup and takes no map`);
          at({ op: cmd, prog, hook: hook!, ...(args.length === 3 ? { map: word(2, "a map") } : {}) });
          break;
        }
        case "map": {
          arity(3, 4, "MAP KEY VALUE [any|noexist|exist] (VALUE: a socket name for a sockmap or sockhash)");
          const value = word(2, "a value");
          const flag = args.length === 4 ? word(3, "a flag") : "any";
          const flags = ["any", "noexist", "exist"].indexOf(flag);
          if (flags < 0) fail(`'${flag}' is not an update flag (any, noexist, exist)`);
          at({ op: "map", map: word(0, "a map"), key: word(1, "a key"), value, ...(flags ? { flags } : {}) });
          break;
        }
        case "unmap":
          arity(2, 2, "MAP KEY");
          at({ op: "unmap", map: word(0, "a map"), key: word(1, "a key") });
          break;
        case "socket": {
          arity(2, 3, "NAME tcp|tcp6|udp|udp6 [outside]");
          const name = fresh(word(0, "a name"));
          const kind = word(1, "a kind");
          if (!["tcp", "tcp6", "udp", "udp6"].includes(kind)) fail(`socket kind '${kind}' must be tcp, tcp6, udp or udp6`);
          const extra = args.length === 3 ? word(2, "'outside'") : undefined;
          if (extra !== undefined && extra !== "outside") fail(`'${extra}': the only option is 'outside' (a socket made outside the world's cgroup)`);
          sockets.set(name, { kind: kind as SocketKind, line });
          at({ op: "socket", name, kind: kind as SocketKind, outside: extra === "outside" });
          break;
        }
        case "bind": case "connect": {
          arity(2, 2, "NAME ADDR:PORT");
          const name = known(word(0, "a socket"));
          const addr = endpoint(1);
          const family = sockets.get(name)!.kind.endsWith("6") ? 6 : 4;
          if (addr.family !== family) fail(`socket '${name}' is IPv${family} (${sockets.get(name)!.kind}) but ${formatEndpoint(addr)} is IPv${addr.family}`);
          at({ op: cmd, name, addr });
          break;
        }
        case "listen": case "recv": case "shutdown": case "close": case "getpeername": case "getsockname":
          arity(1, 1, "a socket name");
          at({ op: cmd, name: known(word(0, "a socket")) });
          break;
        case "accept": {
          arity(2, 2, "LISTENER NAME (the accepted socket's new name)");
          const listener = known(word(0, "a listening socket"));
          const name = fresh(word(1, "a name"));
          sockets.set(name, { kind: sockets.get(listener)!.kind, line });
          at({ op: "accept", listener, name });
          break;
        }
        case "send":
          arity(2, 2, "NAME SIZE|\"text\"|hex:BYTES");
          at({ op: "send", name: known(word(0, "a socket")), data: data(1) });
          break;
        case "sendto": {
          arity(3, 3, "NAME ADDR:PORT SIZE|\"text\"|hex:BYTES");
          const name = known(word(0, "a socket"));
          if (!sockets.get(name)!.kind.startsWith("udp")) fail(`sendto is for UDP sockets; '${name}' is ${sockets.get(name)!.kind} (use send)`);
          at({ op: "sendto", name, addr: endpoint(1), data: data(2) });
          break;
        }
        case "wait": {
          arity(1, 1, "milliseconds");
          const t = word(0, "milliseconds");
          if (!/^\d+$/.test(t) || Number(t) > 10000) fail(`'${t}' is not a wait in milliseconds (0 to 10000)`);
          at({ op: "wait", ms: Number(t) });
          break;
        }
        case "dump":
          arity(1, 1, "a map name");
          at({ op: "dump", map: word(0, "a map") });
          break;
        case "expect":
          at({ op: "expect", what: expectation(args, word, known, fail) });
          break;
        default:
          fail(`unknown command '${cmd}' (program, attach, detach, map, unmap, socket, bind, listen, connect, accept, send, sendto, recv, shutdown, close, getpeername, getsockname, dump, wait, expect)`);
      }
    } catch (err) {
      if (!(err instanceof BpfkitError)) throw err;
      problems.push(...err.diagnostics);
    }
  }
  if (problems.length) throw new BpfkitError(problems, 2);
  return scenario;
}

function expectation(args: (string | { text: string })[], word: (i: number, what: string) => string,
  known: (name: string) => string, fail: (what: string) => never): Expectation {
  const usage = "expect NAME received N|\"text\", expect NAME state STATE, expect NAME result OK|ERRNO, expect NAME path stack|sk_msg|sk_skb N, expect map MAP entries N";
  if (args.length < 3) fail(`'expect' forms: ${usage}`);
  const count = (i: number): number => {
    const t = word(i, "a number");
    if (!/^\d+$/.test(t)) fail(`'${t}' is not a number`);
    return Number(t);
  };
  if (args[0] === "map") {
    if (args.length !== 4 || args[2] !== "entries") fail(`expect map MAP entries N`);
    return { kind: "entries", map: word(1, "a map"), count: count(3) };
  }
  const name = known(word(0, "a socket"));
  const what = word(1, "what to check");
  switch (what) {
    case "received": {
      if (args.length !== 3) fail(`expect ${name} received N|"text"`);
      const a = args[2]!;
      return typeof a === "string" ? { kind: "received", name, bytes: count(2) } : { kind: "received", name, text: utf8(a.text) };
    }
    case "state": {
      const state = word(2, "a state").toUpperCase();
      if (!(TCP_STATES as readonly string[]).includes(state) || !state) fail(`'${state}' is not a TCP state (${TCP_STATES.filter(Boolean).join(", ")})`);
      return { kind: "state", name, state };
    }
    case "result":
      return { kind: "result", name, result: word(2, "OK or an errno name").toUpperCase() };
    case "path": {
      if (args.length !== 4) fail(`expect ${name} path stack|sk_msg|sk_skb N`);
      const path = word(2, "a path");
      if (!["stack", "sk_msg", "sk_skb"].includes(path)) fail(`path '${path}' must be stack, sk_msg or sk_skb`);
      return { kind: "path", name, path: path as DeliveryPath, bytes: count(3) };
    }
    default:
      return fail(`'expect ${name} ${what}': ${usage}`);
  }
}
