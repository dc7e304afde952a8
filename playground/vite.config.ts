// The playground's build: a static folder (playground/dist) with relative asset paths that works from
// any static host and from disk (file://). For file:// the page loads one classic script (iife: module
// scripts are refused on file:// origins) and the verifier worker is inlined (a blob: worker, because a
// worker script cannot be loaded from a file:// URL either).
import { defineConfig, type Plugin } from "vite";


/** <script type="module" crossorigin> -> <script defer>: the bundle is an iife, which file:// allows. */
const classicScript: Plugin = {
  name: "bpfkit-classic-script",
  apply: "build",
  enforce: "post",
  transformIndexHtml(html) {
    return html.replace(/<script type="module" crossorigin src=/g, "<script defer src=").replace(/ crossorigin(?=[ >])/g, "");
  },
};

export default defineConfig({
  root: import.meta.dirname,
  base: "./",
  // bpf/*.o are imported with ?inline (bytes in the bundle: no fetch, so file:// works).
  assetsInclude: ["**/*.o"],
  plugins: [classicScript],
  worker: { format: "iife" },
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    modulePreload: false,
    cssCodeSplit: false,
    assetsInlineLimit: 0,
    chunkSizeWarningLimit: 2000,
    rolldownOptions: { output: { format: "iife", codeSplitting: false } },
  },
  server: { fs: { allow: [".."] } },
});
