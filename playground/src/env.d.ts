/// <reference types="vite/client" />

declare module "virtual:bpfkit-parts" {
  /** Per part name, a loader (playground/parts-plugin.ts). */
  export const loaders: Record<string, () => Promise<unknown>>;
}
