// The kernel backend: bpf(2) through koffi, loader, attach/links, pins and deployments, kernel test-run.
//
// API (Linux only; elsewhere every call throws a BpfkitError BK7001 "kernel backend is unavailable",
// and `kernelBackendProblem()` says why without throwing):
// - commands.ts: one typed function per bpf(2) command: mapCreate / mapLookup / mapUpdate / mapDelete /
//   mapGetNextKey / mapFreeze, btfLoad, progLoad (throws) and progLoadRaw ({ fd, errno, log,
//   logTrueSize }, never throws: pass logLevel 1|2 and a reused logBuf), objPin / objGet, progAttach /
//   progDetach, linkCreate / linkDetach, progTestRun, progQuery, objGetInfoByFd + progInfo / mapInfo /
//   linkInfo, prog/map/linkGetNextId, prog/map/linkGetFdById. Failures are `KernelError` (a
//   BpfkitError with `.command`, `.errno`, `.errnoName`, `.log` and a hint). Close fds with `closeFd`.
// - loader.ts: `loadProgramIntoKernel(program, { logLevel?, maps? })` -> { fd, id, log,
//   verificationTimeNs, maps, close() }: creates the maps, patches lddw src=1/2 map indexes to fds, loads
//   without a log first and retries with log level 1 (growing the buffer on ENOSPC); a rejection is a
//   KernelError whose first diagnostic (BK7003) has the verifier's reason, pc and source line, `.log` the
//   whole log. `loadObjectIntoKernel(programs)` shares maps by name and fills prog_array slots.
//   `attemptProgramLoad(program, options)` is the one load path under it (also used by `verify
//   --compare-kernel` and the verifier recorders): BTF, func/line info, map BTF and global data, raw
//   `program.bytecode` loaded as is; it returns the kernel's answer instead of throwing for a rejection.
//   `loadWithLog(attr)` is the raw load-with-log policy; `logBuffer()` a process-wide reusable buffer.
// - maps.ts: `createMap(spec, { btfFd })` (BTF key/value types when the kernel takes them, else plain with
//   `.btfRefused` saying why; global data written, `.rodata` frozen), `readMapEntries(fd)`, and per-CPU sizes
//   (`possibleCpus`, `userValueSize`, `perCpuValues`: a per-CPU lookup writes one value per possible CPU).
// - testrun.ts: `kernelTestRun(program, { data, ctx, repeat })` -> { retval, data, ctx, duration };
//   `openKernelEngine(program, { others? })` (or `new KernelEngine`) loads once (with the object's tail-call
//   targets): the one engine interface of src/engine/types.ts (run, runBatch, maps, close), as the
//   interpreter and compiled engines have it; `.testRun()` gives the kernel's own result shape.
// - attach.ts, bpffs.ts, deploy.ts: attaching (xdp, tcx, sockops, sk_msg/sk_skb, socket filter), pinning
//   under /sys/fs/bpf/bpfkit/<name>/ (map pins with '.' become '_': bpffs refuses dots) and deployments
//   (`deploy`, `listDeployments`, `detachDeployment`, `deploymentStatus` with `statsEnabled` from
//   kernel.bpf_stats_enabled, `tailCallTargets` for programs a prog_array names, `checkAttachSpec`).
// - numbers.ts: bpf(2) commands, link types and flags only; map types come from src/maps/types.ts and
//   program/attach types from src/progtypes/.
export * from "./errors.js";
export * from "./numbers.js";
export * from "./commands.js";
export { closeFd, kernelBackendProblem, ifNameToIndex } from "./sys.js";
export * from "./maps.js";
export * from "./loader.js";
export * from "./testrun.js";
export * from "./attach.js";
export * from "./bpffs.js";
export * from "./deploy.js";
export * from "./struct-ops.js";
export { inNetns } from "./sys.js";
