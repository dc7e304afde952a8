// Small XDP programs in the assembler's text that several tests run.

/**
 * Returns XDP_ABORTED (0) for a frame shorter than an Ethernet header, XDP_DROP (1) for one whose byte 13
 * (the EtherType's low byte) is 0, and otherwise writes 0xff into its first byte and returns XDP_TX (3):
 * three outcomes and a packet write, which is what batch-versus-single-run comparisons need.
 */
export const REWRITE_XDP = `.section xdp
  r2 = *(u32 *)(r1 + 0)
  r3 = *(u32 *)(r1 + 4)
  r4 = r2
  r4 += 14
  if r4 > r3 goto short
  r5 = *(u8 *)(r2 + 13)
  if r5 == 0 goto drop
  r5 = 0xff
  *(u8 *)(r2 + 0) = r5
  r0 = 3
  exit
drop:
  r0 = 1
  exit
short:
  r0 = 0
  exit
`;
