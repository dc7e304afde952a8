// The guided course: from a first XDP program to fixing the verifier's classic rejections. Each lesson
// starts from a program the verifier rejects for the reason the lesson teaches and has a solution it
// accepts; test/playground/course.test.ts holds every lesson to both, and to its run goal.
import type { packet } from "../../src/index.js";

type PacketSpec = packet.PacketSpec;

export interface Lesson {
  id: string;
  title: string;
  /** What to learn, as small HTML (paragraphs, <code>, lists). */
  body: string;
  /** The program the lesson starts from: the verifier rejects it... */
  start: string;
  /** ...with a message that matches this. */
  rejection: RegExp;
  /** A fixed program (shown on request; the test checks the verifier accepts it). */
  solution: string;
  /** What the fixed program does to a packet, for the lessons that run one. */
  goal?: {
    packet: PacketSpec;
    action: string;
    why: string;
    /** Map entries to add before the run (hex key -> hex value), as the Maps tab would. */
    maps?: Record<string, { key: string; value: string }[]>;
  };
}

const UDP_TO_53: PacketSpec = { ipv4: { src: "10.0.0.1", dst: "10.0.0.2" }, udp: { srcPort: 40000, dstPort: 53 }, payload: "query" };
const TCP_TO_80: PacketSpec = { ipv4: { src: "192.0.2.10", dst: "10.0.0.2" }, tcp: { srcPort: 40000, dstPort: 80, flags: "SYN" } };

export const LESSONS: readonly Lesson[] = [
  {
    id: "first-xdp",
    title: "1. Your first XDP program",
    body: `<p>An XDP program runs for every packet a network card receives, before the kernel has built
anything around it. It gets one argument in <code>r1</code>, a pointer to the context
(<code>struct xdp_md</code>), and it returns a verdict in <code>r0</code>:
<code>XDP_ABORTED</code> (0), <code>XDP_DROP</code> (1), <code>XDP_PASS</code> (2), <code>XDP_TX</code> (3).</p>
<p>The verifier reads every path to <code>exit</code> and refuses a program that might return a register
it never wrote: <code>R0 !read_ok</code>. Set <code>r0 = 2</code> before <code>exit</code> to pass every
packet, then press <b>Run</b> on the <b>Run</b> tab.</p>`,
    start: `; Lesson 1: return a verdict.
.section xdp
.license "GPL"
    exit
`,
    rejection: /^R0 !read_ok/,
    solution: `; Lesson 1: return a verdict.
.section xdp
.license "GPL"
    r0 = 2          ; XDP_PASS
    exit
`,
    goal: { packet: UDP_TO_53, action: "XDP_PASS", why: "the program passes every packet" },
  },
  {
    id: "context",
    title: "2. Reading the context",
    body: `<p><code>struct xdp_md</code> is what the program may read through <code>r1</code>:
<code>data</code> at offset 0, <code>data_end</code> at 4, <code>data_meta</code> at 8,
<code>ingress_ifindex</code> at 12, <code>rx_queue_index</code> at 16, <code>egress_ifindex</code> at 20,
each a 32-bit field. The kernel rewrites these loads into accesses to its own structures, so an offset
outside the struct (or a store into it) is refused: <code>invalid bpf_context access</code>.</p>
<p>This program wants the interface index. Fix the offset (hover a line to see the verifier's state: after
the load, <code>R2</code> is a scalar; after the <code>data</code> load it would be <code>pkt(r=0)</code>).</p>`,
    start: `; Lesson 2: read the receiving interface from struct xdp_md.
.section xdp
.license "GPL"
    r2 = *(u32 *)(r1 + 24)   ; ingress_ifindex?
    r0 = 2
    if r2 != 1 goto out
    r0 = 1                   ; drop what comes in on ifindex 1
out:
    exit
`,
    rejection: /^invalid bpf_context access off=24 size=4/,
    solution: `; Lesson 2: read the receiving interface from struct xdp_md.
.section xdp
.license "GPL"
    r2 = *(u32 *)(r1 + 12)   ; ingress_ifindex
    r0 = 2
    if r2 != 1 goto out
    r0 = 1                   ; drop what comes in on ifindex 1
out:
    exit
`,
    goal: { packet: UDP_TO_53, action: "XDP_DROP", why: "test runs receive on the loopback device, ifindex 1" },
  },
  {
    id: "bounds",
    title: "3. Bounds checks: prove the packet is long enough",
    body: `<p><code>data</code> and <code>data_end</code> are pointers to the first byte of the packet and just
past its last. Before reading byte <i>n</i> the program must compare a pointer with <code>data_end</code>;
only in the branch where the comparison proves the bytes exist does the verifier allow the read. Until
then the packet pointer carries <code>r=0</code>: zero bytes proven.</p>
<p>This program reads the EtherType (bytes 12-13) without a check, so the verifier says
<code>invalid access to packet</code>. Add the check: copy <code>r2</code>, add 14 (the Ethernet
header), and leave when it is beyond <code>r3</code>. Then look at the state after the check: the pointer
becomes <code>pkt(r=14)</code>.</p>`,
    start: `; Lesson 3: drop everything that is not IPv4.
.section xdp
.license "GPL"
    r2 = *(u32 *)(r1 + 0)    ; data
    r3 = *(u32 *)(r1 + 4)    ; data_end
    r0 = 1                   ; XDP_DROP unless proven IPv4
    r4 = *(u16 *)(r2 + 12)   ; EtherType, big-endian on the wire
    if r4 != 0x8 goto out    ; 0x0800 read little-endian
    r0 = 2
out:
    exit
`,
    rejection: /^invalid access to packet, off=12 size=2/,
    solution: `; Lesson 3: drop everything that is not IPv4.
.section xdp
.license "GPL"
    r2 = *(u32 *)(r1 + 0)    ; data
    r3 = *(u32 *)(r1 + 4)    ; data_end
    r0 = 1                   ; XDP_DROP unless proven IPv4
    r5 = r2
    r5 += 14
    if r5 > r3 goto out      ; shorter than an Ethernet header
    r4 = *(u16 *)(r2 + 12)   ; EtherType, big-endian on the wire
    if r4 != 0x8 goto out    ; 0x0800 read little-endian
    r0 = 2
out:
    exit
`,
    goal: { packet: UDP_TO_53, action: "XDP_PASS", why: "an IPv4 packet passes" },
  },
  {
    id: "off-by-one",
    title: "4. Off by one: check as far as you read",
    body: `<p>A bounds check proves a number of bytes, and every read must end inside it. This program checks
34 bytes (Ethernet + a 20-byte IPv4 header) and then reads the destination port of the UDP header
behind them: bytes 36-37. The verifier reports the offset and size it wanted and the <code>r=34</code> it
had: <code>invalid access to packet, off=36 size=2 ... r=34</code>.</p>
<p>Extend the check to cover the UDP header (8 more bytes). The failing path in the <b>Verifier</b> tab
shows which branch led there.</p>`,
    start: `; Lesson 4: drop DNS (UDP port 53) over IPv4 (no IP options).
.section xdp
.license "GPL"
    r2 = *(u32 *)(r1 + 0)    ; data
    r3 = *(u32 *)(r1 + 4)    ; data_end
    r0 = 2
    r5 = r2
    r5 += 34                 ; Ethernet + IPv4
    if r5 > r3 goto out
    r4 = *(u8 *)(r2 + 23)    ; IPv4 protocol
    if r4 != 17 goto out     ; not UDP
    r4 = *(u16 *)(r2 + 36)   ; UDP destination port
    if r4 != 0x3500 goto out ; htons(53)
    r0 = 1
out:
    exit
`,
    rejection: /^invalid access to packet, off=36 size=2, R2\(id=0,off=36,r=34\)/,
    solution: `; Lesson 4: drop DNS (UDP port 53) over IPv4 (no IP options).
.section xdp
.license "GPL"
    r2 = *(u32 *)(r1 + 0)    ; data
    r3 = *(u32 *)(r1 + 4)    ; data_end
    r0 = 2
    r5 = r2
    r5 += 42                 ; Ethernet + IPv4 + UDP
    if r5 > r3 goto out
    r4 = *(u8 *)(r2 + 23)    ; IPv4 protocol
    if r4 != 17 goto out     ; not UDP
    r4 = *(u16 *)(r2 + 36)   ; UDP destination port
    if r4 != 0x3500 goto out ; htons(53)
    r0 = 1
out:
    exit
`,
    goal: { packet: UDP_TO_53, action: "XDP_DROP", why: "a UDP packet to port 53 is dropped" },
  },
  {
    id: "null-check",
    title: "5. Maps and NULL checks",
    body: `<p>Maps keep state between packets and between the program and user space.
<code>bpf_map_lookup_elem(map, &amp;key)</code> returns a pointer to the value, or NULL when the key is
absent. The verifier types the result <code>map_value_or_null</code> and refuses any access through it
until a comparison with 0 splits it into <code>map_value</code> (one branch) and NULL (the other).</p>
<p>Add <code>if r0 == 0 goto pass</code> right after the call. Then, on the <b>Maps</b> tab, add the
source address <code>10.0.0.1</code> to <code>blocked</code> and run the packet: it is dropped and the
hit counter in its value goes from 0 to 1.</p>`,
    start: `; Lesson 5: drop sources listed in a hash map, counting hits.
.section xdp
.license "GPL"
.map blocked, type=hash, key=4, value=8, max_entries=1024
    r6 = *(u32 *)(r1 + 0)    ; data
    r7 = *(u32 *)(r1 + 4)    ; data_end
    r5 = r6
    r5 += 34                 ; Ethernet + IPv4
    if r5 > r7 goto pass
    r1 = *(u32 *)(r6 + 26)   ; IPv4 source address
    *(u32 *)(r10 - 4) = r1   ; key
    r2 = r10
    r2 += -4                 ; r2 = &key
    r1 = blocked ll
    call bpf_map_lookup_elem
    r1 = 1
    lock *(u64 *)(r0 + 0) += r1   ; hits += 1
    r0 = 1                   ; XDP_DROP
    exit
pass:
    r0 = 2
    exit
`,
    rejection: /^R0 invalid mem access 'map_value_or_null'/,
    solution: `; Lesson 5: drop sources listed in a hash map, counting hits.
.section xdp
.license "GPL"
.map blocked, type=hash, key=4, value=8, max_entries=1024
    r6 = *(u32 *)(r1 + 0)    ; data
    r7 = *(u32 *)(r1 + 4)    ; data_end
    r5 = r6
    r5 += 34                 ; Ethernet + IPv4
    if r5 > r7 goto pass
    r1 = *(u32 *)(r6 + 26)   ; IPv4 source address
    *(u32 *)(r10 - 4) = r1   ; key
    r2 = r10
    r2 += -4                 ; r2 = &key
    r1 = blocked ll
    call bpf_map_lookup_elem
    if r0 == 0 goto pass     ; not listed
    r1 = 1
    lock *(u64 *)(r0 + 0) += r1   ; hits += 1
    r0 = 1                   ; XDP_DROP
    exit
pass:
    r0 = 2
    exit
`,
    goal: {
      packet: UDP_TO_53, action: "XDP_DROP", why: "10.0.0.1 is in blocked: the packet is dropped and its hit count becomes 1",
      maps: { blocked: [{ key: "0a000001", value: "0000000000000000" }] },
    },
  },
  {
    id: "clobbered",
    title: "6. Helper calls clobber r1-r5",
    body: `<p>A helper call takes its arguments in <code>r1</code>-<code>r5</code> and returns in
<code>r0</code>; afterwards <code>r1</code>-<code>r5</code> hold nothing the program may read (the
verifier marks them <i>not init</i>), while <code>r6</code>-<code>r9</code> survive. A program that still
needs the context after a call must keep it in a callee-saved register:
otherwise <code>R1 !read_ok</code>.</p>
<p>Save <code>r1</code> in <code>r6</code> at the start and read <code>data</code> through
<code>r6</code>. Compare the state before and after the call in the state panel.</p>`,
    start: `; Lesson 6: look at one packet in four, chosen at random.
.section xdp
.license "GPL"
    call bpf_get_prandom_u32
    r0 &= 3
    if r0 != 0 goto pass
    r2 = *(u32 *)(r1 + 0)    ; data: but r1 did not survive the call
    r3 = *(u32 *)(r1 + 4)    ; data_end
    r0 = 2
    exit
pass:
    r0 = 2
    exit
`,
    rejection: /^R1 !read_ok/,
    solution: `; Lesson 6: look at one packet in four, chosen at random.
.section xdp
.license "GPL"
    r6 = r1                  ; keep the context in a callee-saved register
    call bpf_get_prandom_u32
    r0 &= 3
    if r0 != 0 goto pass
    r2 = *(u32 *)(r6 + 0)    ; data
    r3 = *(u32 *)(r6 + 4)    ; data_end
    r0 = 2
    exit
pass:
    r0 = 2
    exit
`,
    goal: { packet: UDP_TO_53, action: "XDP_PASS", why: "every path passes the packet" },
  },
  {
    id: "stack-bounds",
    title: "7. The stack has 512 bytes",
    body: `<p>Stack offsets are fixed at verification time: <code>r10 - 8</code> is the slot
<code>fp-8</code>, and anything below <code>r10 - 512</code> (or at or above <code>r10</code>) does not
exist. Variable offsets into the stack are allowed only when the verifier can bound them.</p>
<p>This program keeps a 16-byte scratch buffer but addresses it past the end of the frame:
<code>invalid write to stack R10 off=-520 size=8</code>. Put it inside the 512 bytes.</p>`,
    start: `; Lesson 7: a scratch buffer on the stack.
.section xdp
.license "GPL"
    r1 = 0
    *(u64 *)(r10 - 520) = r1
    *(u64 *)(r10 - 512) = r1
    r0 = *(u64 *)(r10 - 512)
    r0 += 2
    exit
`,
    rejection: /^invalid write to stack R10 off=-520 size=8/,
    solution: `; Lesson 7: a scratch buffer on the stack.
.section xdp
.license "GPL"
    r1 = 0
    *(u64 *)(r10 - 16) = r1
    *(u64 *)(r10 - 8) = r1
    r0 = *(u64 *)(r10 - 8)
    r0 += 2
    exit
`,
    goal: { packet: UDP_TO_53, action: "XDP_PASS", why: "r0 = 0 + 2" },
  },
  {
    id: "variable-offset",
    title: "8. Variable offsets: bound the index",
    body: `<p>An index read from the packet can be anything. Used as an offset into a map value, the
verifier follows its range through every instruction (hover a line to see it) and checks the largest
value it may have: here the TTL bucket <code>ttl &gt;&gt; 3 &lt;&lt; 3</code> is anything from 0 to 248,
so the 8-byte counter may lie far past the 64-byte value:
<code>invalid access to map value, value_size=64 off=248 size=8</code>.</p>
<p>Keep the bucket below 8: shift by 5 instead of 3 (<code>ttl / 32</code>), or mask it with
<code>r4 &amp;= 7</code>. An unbounded index (one never shifted or masked) gets
<code>unbounded memory access</code> instead.</p>`,
    start: `; Lesson 8: 8 counters of TTL buckets in one map value.
.section xdp
.license "GPL"
.map ttl_hist, type=array, key=4, value=64, max_entries=1
    r6 = *(u32 *)(r1 + 0)    ; data
    r7 = *(u32 *)(r1 + 4)    ; data_end
    r5 = r6
    r5 += 34
    if r5 > r7 goto pass
    r1 = 0
    *(u32 *)(r10 - 4) = r1
    r2 = r10
    r2 += -4
    r1 = ttl_hist ll
    call bpf_map_lookup_elem
    if r0 == 0 goto pass
    r4 = *(u8 *)(r6 + 22)    ; IPv4 TTL
    r4 >>= 3                 ; bucket = ttl / 8 (0..31)
    r4 <<= 3                 ; byte offset of the counter
    r0 += r4
    r1 = 1
    lock *(u64 *)(r0 + 0) += r1
pass:
    r0 = 2
    exit
`,
    rejection: /^invalid access to map value, value_size=64 off=248 size=8/,
    solution: `; Lesson 8: 8 counters of TTL buckets in one map value.
.section xdp
.license "GPL"
.map ttl_hist, type=array, key=4, value=64, max_entries=1
    r6 = *(u32 *)(r1 + 0)    ; data
    r7 = *(u32 *)(r1 + 4)    ; data_end
    r5 = r6
    r5 += 34
    if r5 > r7 goto pass
    r1 = 0
    *(u32 *)(r10 - 4) = r1
    r2 = r10
    r2 += -4
    r1 = ttl_hist ll
    call bpf_map_lookup_elem
    if r0 == 0 goto pass
    r4 = *(u8 *)(r6 + 22)    ; IPv4 TTL
    r4 >>= 5                 ; bucket = ttl / 32 (0..7)
    r4 <<= 3                 ; byte offset of the counter
    r0 += r4
    r1 = 1
    lock *(u64 *)(r0 + 0) += r1
pass:
    r0 = 2
    exit
`,
    goal: { packet: UDP_TO_53, action: "XDP_PASS", why: "TTL 64 lands in bucket 2 (bytes 16-23 of the value)" },
  },
  {
    id: "loops",
    title: "9. Loops must end",
    body: `<p>The verifier walks loops iteration by iteration; it accepts a loop only when every path leaves
it. A loop whose state comes back exactly as it was can never leave: <code>infinite loop detected</code>.
A loop with a constant bound is fine (the verifier simply walks it to the end).</p>
<p>This loop reads the first 8 bytes of the packet but never advances its counter. Increment
<code>r4</code> in the loop (and add each byte to a sum in <code>r6</code> while you are there).</p>`,
    start: `; Lesson 9: walk the first 8 bytes of the packet.
.section xdp
.license "GPL"
    r2 = *(u32 *)(r1 + 0)    ; data
    r3 = *(u32 *)(r1 + 4)    ; data_end
    r0 = 2
    r5 = r2
    r5 += 8
    if r5 > r3 goto out
    r4 = 0                   ; i
loop:
    r5 = r2
    r5 += r4
    r7 = *(u8 *)(r5 + 0)     ; byte i
    if r4 < 8 goto loop      ; i never changes
    r0 = 2
out:
    exit
`,
    rejection: /^infinite loop detected at insn \d+/,
    solution: `; Lesson 9: walk the first 8 bytes of the packet.
.section xdp
.license "GPL"
    r2 = *(u32 *)(r1 + 0)    ; data
    r3 = *(u32 *)(r1 + 4)    ; data_end
    r0 = 2
    r5 = r2
    r5 += 8
    if r5 > r3 goto out
    r4 = 0                   ; i
    r6 = 0                   ; sum
loop:
    r5 = r2
    r5 += r4
    r7 = *(u8 *)(r5 + 0)
    r6 += r7
    r4 += 1
    if r4 < 8 goto loop
    r0 = 2
out:
    exit
`,
    goal: { packet: UDP_TO_53, action: "XDP_PASS", why: "the sum is computed and the packet passes" },
  },
  {
    id: "helpers-types",
    title: "10. Helpers belong to program types",
    body: `<p>Every helper is allowed for some program types only: <code>bpf_skb_store_bytes</code> works on a
socket buffer (tc), not on an XDP frame, where the program writes the packet directly. The verifier names
the helper: <code>program of this type cannot use helper bpf_skb_store_bytes#9</code>.</p>
<p>Rewrite the TTL in place with a store through the packet pointer instead (the bounds check is
already there).</p>`,
    start: `; Lesson 10: set the IPv4 TTL to 1.
.section xdp
.license "GPL"
    r6 = r1
    r2 = *(u32 *)(r1 + 0)    ; data
    r3 = *(u32 *)(r1 + 4)    ; data_end
    r0 = 2
    r5 = r2
    r5 += 34
    if r5 > r3 goto out
    r1 = 1
    *(u8 *)(r10 - 1) = r1
    r1 = r6
    r2 = 22                  ; offset of the TTL
    r3 = r10
    r3 += -1                 ; from: one byte on the stack
    r4 = 1                   ; len
    r5 = 0                   ; flags
    call bpf_skb_store_bytes
    r0 = 2
out:
    exit
`,
    rejection: /^program of this type cannot use helper bpf_skb_store_bytes#9/,
    solution: `; Lesson 10: set the IPv4 TTL to 1.
.section xdp
.license "GPL"
    r2 = *(u32 *)(r1 + 0)    ; data
    r3 = *(u32 *)(r1 + 4)    ; data_end
    r0 = 2
    r5 = r2
    r5 += 34
    if r5 > r3 goto out
    r1 = 1
    *(u8 *)(r2 + 22) = r1    ; TTL (the IPv4 checksum is left stale here)
out:
    exit
`,
    goal: { packet: UDP_TO_53, action: "XDP_PASS", why: "the packet passes with byte 22 (the TTL) changed to 1" },
  },
];

/** The course's packet to try a lesson with, as the run tab's builder fields. */
export const COURSE_PACKETS = { UDP_TO_53, TCP_TO_80 };
