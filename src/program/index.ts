export * from "./program.js";
export * from "./bundle.js";
