// Helpers for users' own tests of their BPF programs.
export * from "./agree.js";
export { kernelVerify, kernelVerifyProgram, formatKernelComparison, type KernelVerdict } from "./kernel-verdict.js";
