// What a chunk costs in readObject's body loop, in isolation: CPU per chunk over 200,000 ready chunks of
// a bare await (bare), a stall race of a Promise, a timer and Promise.race per chunk (raced, the loop
// before 2026-12-07), an async generator between (hop), and one timer per body with a Promise per
// chunk (watched, readObject's StallWatch).   node bench/chunkCost.mjs
const N = 200_000;
const chunk = new Uint8Array(65536);
const source = () => ({ [Symbol.asyncIterator]() { let i = 0; return { next: () => Promise.resolve(i++ < N ? { done: false, value: chunk } : { done: true, value: undefined }) }; } });
const STALLED = Symbol();
async function within(next, ms) {
  let timer;
  try { return await Promise.race([next, new Promise((resolve) => (timer = setTimeout(() => resolve(STALLED), ms)))]); } finally { clearTimeout(timer); }
}
async function bare() { const it = source()[Symbol.asyncIterator](); let n = 0; for (;;) { const s = await it.next(); if (s.done) break; n += s.value.length; } return n; }
async function raced() { const it = source()[Symbol.asyncIterator](); let n = 0; for (;;) { const s = await within(it.next(), 2000); if (s.done) break; n += s.value.length; } return n; }
async function* gen(iterable) { for await (const c of iterable) yield c; }
async function hop() { let n = 0; for await (const c of gen(source())) n += c.length; return n; }
async function watched() {
  const it = source()[Symbol.asyncIterator](); let n = 0;
  let wake; let waitingSince = performance.now(); const limit = 2000;
  const fire = () => { const silent = performance.now() - waitingSince; if (silent >= limit) wake?.(STALLED); else timer = setTimeout(fire, limit - silent); };
  let timer = setTimeout(fire, limit);
  for (;;) { waitingSince = performance.now(); const next = it.next(); const s = await new Promise((resolve, reject) => { wake = resolve; next.then(resolve, reject); }); if (s.done) break; n += s.value.length; }
  clearTimeout(timer); return n;
}
for (let round = 0; round < 3; round++) {
  const out = [];
  for (const [name, f] of Object.entries({ bare, raced, hop, watched })) {
    const cpu = process.cpuUsage();
    await f();
    const used = process.cpuUsage(cpu);
    out.push(`${name} ${(((used.user + used.system) / N)).toFixed(2)} µs/chunk`);
  }
  console.log(out.join(', '));
}
