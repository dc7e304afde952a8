import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { BpfkitError } from "../../src/diagnostics/index.js";
import { LINKTYPE, readCapture, readPcap, readPcapng, replayCapture, writePcap, type CapturedPacket } from "../../src/packet/index.js";
import { hex, kernelFrames } from "./kernel-frames.js";

// A pcap file written byte by byte from the format description (https://www.tcpdump.org/manpages/pcap-savefile.5.html),
// not with writePcap: big-endian, microsecond magic, one 4-byte record.
const BIG_ENDIAN_MICRO = hex(`
  a1b2c3d4 0002 0004 00000000 00000000 0000ffff 00000001
  5f5e1000 0007a11f 00000004 0000003c  deadbeef`);
// The same, little-endian with the nanosecond magic.
const LITTLE_ENDIAN_NANO = hex(`
  4d3cb2a1 0200 0400 00000000 00000000 ffff0000 01000000
  00105e5f ffc99a3b 04000000 3c000000  deadbeef`);

describe("pcap", () => {
  it("reads hand-made files in both byte orders and both precisions", () => {
    const a = readPcap(BIG_ENDIAN_MICRO);
    expect(a).toMatchObject({ format: "pcap", byteOrder: "big", precision: "micro", linkType: LINKTYPE.ETHERNET, snapLength: 65535 });
    // 0x5f5e1000 = 1600000000 s, 0x7a11f = 499999 us.
    expect(a.packets).toEqual([{ timestamp: 1_600_000_000_499_999_000n, data: hex("deadbeef"), originalLength: 60 }]);
    const b = readCapture(LITTLE_ENDIAN_NANO);
    expect(b).toMatchObject({ byteOrder: "little", precision: "nano" });
    expect(b.packets[0]!.timestamp).toBe(1_600_000_000_999_999_999n); // 0x3b9ac9ff ns
  });

  it("writes byte-identical files to the hand-made ones", () => {
    const pkt: CapturedPacket = { timestamp: 1_600_000_000_499_999_000n, data: hex("deadbeef"), originalLength: 60 };
    expect(writePcap([pkt], { byteOrder: "big", snapLength: 65535 })).toEqual(BIG_ENDIAN_MICRO);
    const nano = { ...pkt, timestamp: 1_600_000_000_999_999_999n };
    expect(writePcap([nano], { byteOrder: "little", precision: "nano", snapLength: 65535 })).toEqual(LITTLE_ENDIAN_NANO);
  });

  it("round-trips random captures in all four variants", () => {
    const pkt = fc.record({
      timestamp: fc.bigInt({ min: 0n, max: 0xffffffffn * 1_000_000_000n + 999_999_999n }),
      data: fc.uint8Array({ maxLength: 200 }),
      extra: fc.nat(100),
    });
    fc.assert(fc.property(fc.array(pkt, { maxLength: 8 }), fc.constantFrom("little", "big" as const), fc.constantFrom("micro", "nano" as const), (ps, byteOrder, precision) => {
      const packets = ps.map((p) => ({ timestamp: p.timestamp, data: p.data, originalLength: p.data.length + p.extra }));
      const c = readCapture(writePcap(packets, { byteOrder, precision, linkType: LINKTYPE.RAW }));
      expect(c).toMatchObject({ byteOrder, precision, linkType: LINKTYPE.RAW });
      const trunc = (t: bigint) => (precision === "micro" ? t - (t % 1000n) : t);
      expect(c.packets).toEqual(packets.map((p) => ({ ...p, timestamp: trunc(p.timestamp) })));
    }));
  });

  it("cuts packets to the snap length and keeps the original length", () => {
    const c = readPcap(writePcap(kernelFrames, { snapLength: 20 }));
    expect(c.packets.map((p) => p.data.length)).toEqual(kernelFrames.map((f) => Math.min(20, f.length)));
    expect(c.packets.map((p) => p.originalLength)).toEqual(kernelFrames.map((f) => f.length));
  });

  it("reports bad files with the offset", () => {
    const err = (b: Uint8Array) => { try { readCapture(b); } catch (e) { expect(e).toBeInstanceOf(BpfkitError); return (e as BpfkitError).diagnostics[0]!; } throw new Error("accepted"); };
    expect(err(hex("00112233"))).toMatchObject({ code: "BK9504", offset: 0 });
    expect(err(new Uint8Array(0))).toMatchObject({ code: "BK9504" });
    expect(err(BIG_ENDIAN_MICRO.subarray(0, 20))).toMatchObject({ code: "BK9505", offset: 0 });
    expect(err(BIG_ENDIAN_MICRO.subarray(0, 30))).toMatchObject({ code: "BK9505", offset: 24, message: expect.stringContaining("record 0 header") });
    expect(err(BIG_ENDIAN_MICRO.subarray(0, 42))).toMatchObject({ code: "BK9505", offset: 40, message: expect.stringContaining("record 0 data") });
    const big = BIG_ENDIAN_MICRO.slice(); big[24 + 8] = 0x7f; // incl_len 2 GB
    expect(err(big)).toMatchObject({ code: "BK9506", offset: 32, message: expect.stringContaining("incl_len") });
    const us = BIG_ENDIAN_MICRO.slice(); us.set(hex("000f4240"), 28); // 1,000,000 us
    expect(err(us)).toMatchObject({ code: "BK9506", offset: 28 });
    const v = BIG_ENDIAN_MICRO.slice(); v[5] = 3;
    expect(err(v)).toMatchObject({ code: "BK9506", offset: 4 });
  });
});

// pcapng built from the spec's block layout by hand: SHB, IDB (Ethernet, if_tsresol=9 -> ns, if_name),
// EPB, SPB, a custom block to skip, then a second big-endian section with its own IDB and EPB.
function le32(n: number) { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n, true); return b; }
function be32(n: number) { const b = new Uint8Array(4); new DataView(b.buffer).setUint32(0, n, false); return b; }
function block(type: number, body: Uint8Array, w: (n: number) => Uint8Array) {
  const len = 12 + body.length;
  return new Uint8Array([...w(type), ...w(len), ...body, ...w(len)]);
}
const cat = (...xs: Uint8Array[]) => new Uint8Array(xs.flatMap((x) => [...x]));

describe("pcapng", () => {
  const frame = kernelFrames[0]!;
  const padded = cat(frame, new Uint8Array((4 - (frame.length % 4)) % 4));
  const file = cat(
    block(0x0a0d0d0a, hex("4d3c2b1a 0100 0000 ffffffffffffffff"), le32),
    block(1, hex("0100 0000 00000400  0900 0100 09000000  0200 0300 763000 00  0000 0000"), le32),
    block(6, cat(le32(0), le32(0x00000001), le32(0x00000002), le32(frame.length), le32(frame.length), padded), le32),
    block(3, cat(le32(frame.length), padded), le32),
    block(0xbad, hex("01020304"), le32),
    block(0x0a0d0d0a, hex("1a2b3c4d 0001 0000 ffffffffffffffff"), be32),
    block(1, hex("0065 0000 00000010"), be32), // raw IP, snaplen 16, microsecond default
    block(6, cat(be32(0), be32(0), be32(3_000_000), be32(4), be32(frame.length), hex("45000001")), be32),
  );

  it("reads sections of both byte orders, interface options and all packet block kinds", () => {
    const c = readCapture(file);
    expect(c).toMatchObject({ format: "pcapng", linkType: LINKTYPE.ETHERNET, snapLength: 0x40000, byteOrder: "little", precision: "nano" });
    expect(c.interfaces).toEqual([{ linkType: 1, snapLength: 0x40000, name: "v0" }, { linkType: 101, snapLength: 16 }]);
    expect(c.packets.map((p) => [p.timestamp, p.data.length, p.originalLength, p.interface])).toEqual([
      [(1n << 32n) + 2n, frame.length, frame.length, 0], // ns resolution
      [0n, frame.length, frame.length, 0],
      [3_000_000_000n, 4, frame.length, 1], // us resolution: 3 s
    ]);
    expect(c.packets[0]!.data).toEqual(frame);
  });

  it("reports bad blocks with the offset", () => {
    const err = (b: Uint8Array) => { try { readPcapng(b); } catch (e) { expect(e).toBeInstanceOf(BpfkitError); return (e as BpfkitError).diagnostics[0]!; } throw new Error("accepted"); };
    expect(err(file.subarray(0, file.length - 2))).toMatchObject({ code: "BK9505" });
    const t = file.slice(); t[28 + 4] = 0x11; // IDB length not a multiple of 4
    expect(err(t)).toMatchObject({ code: "BK9506", offset: 32 });
    const i = file.slice(); i[28 + 40 + 8] = 5; // EPB (after the 28-byte SHB and 40-byte IDB): interface 5
    expect(err(i)).toMatchObject({ code: "BK9506", message: expect.stringContaining("interface id") });
  });
});

describe("replayCapture", () => {
  it("runs every packet in order, keeps timestamps and filters by verdict", async () => {
    const cap = readCapture(writePcap(kernelFrames.slice(0, 4), { precision: "nano" }));
    const seen: number[] = [];
    const { results, packets } = await replayCapture(cap, (d, i) => { seen.push(i); return { retval: i % 2, data: d.subarray(0, 14) }; }, (rv) => rv === 1);
    expect(seen).toEqual([0, 1, 2, 3]);
    expect(results.map((r) => r.retval)).toEqual([0, 1, 0, 1]);
    expect(packets.map((p) => [p.timestamp, p.data.length])).toEqual([[1000n, 14], [3000n, 14]]);
  });
});
