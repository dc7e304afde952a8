// Generated scenarios for the differential: random sequences of user-space sockmap and sockhash updates
// (with BPF_ANY / BPF_NOEXIST / BPF_EXIST), deletes and dumps on sockets in every state the maps care
// about (established clients and servers already in the sockhash through sockops, a listener, a socket
// never connected), then closes. The same seed gives the same scenario.

/** The scenario text for `seed` (bpf/sock_trace.bpf.o). */
export function mapOpsScenario(seed: number, ops = 25): string {
  let x = (seed * 2654435761) >>> 0 || 1;
  const rnd = (n: number): number => { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; return x % n; };
  const pick = <T>(a: readonly T[]): T => a[rnd(a.length)]!;
  const socks = ["c1", "a1", "c2", "a2", "srv", "idle"] as const;
  // three sockhash keys (struct sock_key is 44 bytes)
  const hashKeys = [1, 2, 3].map((k) => k.toString(16).padStart(2, "0").repeat(44));
  const lines = [
    `# generated: sockmap/sockhash updates from user space (seed ${seed})`,
    "attach trace_sockops sockops", "attach trace_msg sk_msg socks", "map cfg 1 1",
    "socket srv tcp", "bind srv 127.0.0.1:8080", "listen srv",
    "socket c1 tcp", "connect c1 127.0.0.1:8080", "accept srv a1",
    "socket c2 tcp", "connect c2 127.0.0.1:8080", "accept srv a2",
    "socket idle tcp",
  ];
  for (let i = 0; i < ops; i++) {
    const flag = pick(["", "", " noexist", " exist"]);
    switch (rnd(7)) {
      case 0: case 1: lines.push(`map targets ${rnd(10)} ${pick(socks)}${flag}`); break;
      case 2: lines.push(`unmap targets ${rnd(10)}`); break;
      case 3: lines.push(`map socks ${pick(hashKeys)} ${pick(socks)}${flag}`); break;
      case 4: lines.push(`unmap socks ${pick(hashKeys)}`); break;
      case 5: lines.push(`dump ${pick(["targets", "socks"])}`); break;
      case 6: lines.push(`send ${pick(["c1", "a1", "c2", "a2"])} ${1 + rnd(50)}`); break;
    }
  }
  lines.push("dump targets", "dump socks", "close c1", "dump targets", "dump socks", "close a2", "close srv", "dump targets", "dump socks");
  return lines.join("\n") + "\n";
}

export const GENERATED_SEEDS = [1, 2, 3, 4, 5, 6, 7, 8];
