// Worker entry when running from TypeScript sources under Node, which cannot load .ts in a worker
// by itself: register tsx first. (Compiled dist/ and Deno start jobWorker.js / .ts directly.)
const { register } = await import('tsx/esm/api');
register();
await import('./jobWorker.ts');
