// Helpers for users' own tests of their BPF programs.
export * from "./agree.js";
