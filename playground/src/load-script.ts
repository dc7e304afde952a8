// Load one of the playground's parts (playground/parts-plugin.ts): a classic script next to the page's own,
// which sets `bpfkitParts[name]`. A <script> element, because the site also works from file://, where
// module scripts, import() and fetch() are refused.
const pending = new Map<string, Promise<unknown>>();

export function loadScript(file: string, name: string): Promise<unknown> {
  const parts = ((globalThis as { bpfkitParts?: Record<string, unknown> }).bpfkitParts ??= {});
  if (parts[name]) return Promise.resolve(parts[name]);
  let p = pending.get(name);
  if (!p) {
    p = new Promise((resolve, reject) => {
      const s = document.createElement("script");
      s.src = file;
      s.onload = () => (parts[name] ? resolve(parts[name]) : reject(new Error(`${file} did not define the part '${name}'`)));
      s.onerror = () => { pending.delete(name); s.remove(); reject(new Error(`could not load ${file} (the playground's part '${name}')`)); };
      document.head.append(s);
    });
    pending.set(name, p);
  }
  return p;
}
