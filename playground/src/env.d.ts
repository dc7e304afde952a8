/// <reference types="vite/client" />

declare module "virtual:bpfkit-parts" {
  /** Per part name, a loader (playground/parts-plugin.ts). */
  export const loaders: Record<string, () => Promise<unknown>>;
}

declare module "*?base64" {
  /** The file's bytes in base64 (playground/parts-plugin.ts). */
  const data: string;
  export default data;
}
