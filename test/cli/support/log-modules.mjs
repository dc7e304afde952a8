// A module-resolution hook for the start-up test: prints every file the process loads to stderr.
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  if (r.url.startsWith("file:")) process.stderr.write(`LOADED ${r.url}\n`);
  return r;
}
