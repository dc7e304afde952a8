export * from "./program.js";
export * from "./bundle.js";
export * from "./load.js";
