// The in-memory shape of a packet capture, shared by the pcap and pcapng readers and the pcap writer.

/** Link-layer header types (https://www.tcpdump.org/linktypes.html) bpfkit knows by name. */
export const LINKTYPE = { NULL: 0, ETHERNET: 1, RAW: 101, LINUX_SLL: 113, IPV4: 228, IPV6: 229, LINUX_SLL2: 276 } as const;

export interface CapturedPacket {
  /** Nanoseconds since the Unix epoch. */
  timestamp: bigint;
  /** The bytes captured (possibly cut to the snap length). */
  data: Uint8Array;
  /** Length of the packet on the wire. */
  originalLength: number;
  /** pcapng: index of the interface (in `Capture.interfaces`) it was captured on. */
  interface?: number;
}

export interface CaptureInterface { linkType: number; snapLength: number; name?: string }

export interface Capture {
  format: "pcap" | "pcapng";
  /** Link type of the capture (pcapng: of its first interface). */
  linkType: number;
  snapLength: number;
  /** Timestamp resolution of the file: pcap micro (0xa1b2c3d4) or nano (0xa1b23c4d) seconds. */
  precision: "micro" | "nano";
  byteOrder: "little" | "big";
  interfaces: CaptureInterface[];
  packets: CapturedPacket[];
}
