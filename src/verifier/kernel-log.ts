// Reading a kernel verifier log: where the error is. The kernel prints the instruction it was checking,
// then its message (sometimes over several lines), then the statistics; at level 1 the states of paths
// that verified fine are rewound away. "First error line" = the first line after the last instruction
// line (or the first line at all for errors found before the walk, such as the control-flow checks).
const INSN_LINE = /^\d+: (\([0-9a-f]{2}\)|BUG_)/;
const TAIL = /^(processed \d+ insns|verification time|stack depth)/;

export interface LogError {
  /** The first line of the message: what the differential corpus compares. */
  first: string;
  /** All lines of the message. */
  lines: string[];
}

export function errorOfLog(log: string): LogError | undefined {
  const lines = log.split("\n");
  let end = lines.findIndex((l) => TAIL.test(l));
  if (end < 0) end = lines.length;
  // level-2 precision back-tracking notes are not part of any message
  const body = lines.slice(0, end).filter((l) => l !== "" && !l.startsWith("mark_precise:"));
  let last = -1;
  body.forEach((l, i) => { if (INSN_LINE.test(l)) last = i; });
  let msg = body.slice(last + 1);
  // level 2 prefixes (func#N @pc, the live-register table) come before any message
  if (last < 0) msg = msg.filter((l) => !/^func#\d+ @\d+$/.test(l) && !/^Live regs before insn:$/.test(l) && !/^\s+\d+: [0-9.]{10} /.test(l));
  if (!msg.length) return undefined;
  // a few kernel messages lack their newline, so the statistics line is glued to them
  msg = msg.map((l) => l.replace(/processed \d+ insns \(limit \d+\).*$/, ""));
  return { first: msg[0]!, lines: msg };
}
