// Worker entry. Node cannot load TypeScript in a worker by itself: register tsx first. Deno runs .ts as is.
if (!globalThis.Deno) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import('./parseWorker.ts');
