// Bounds every engine shares, in a module of their own so the command line can name them without loading
// the runtime (issue #15 item 9: start-up time).

/** Runs per input at most: BPF_PROG_TEST_RUN's repeat is a u32, and every engine keeps that bound. */
export const MAX_REPEAT = 0xffffffff;
