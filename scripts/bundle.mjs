// Part of `npm run build`: bundles the command (dist/cli/main.js -> dist/cli/bundle/main.js, what
// bin/consent-metrics.mjs runs) and the worker thread scripts (in place), each into one file (the
// command's dynamic imports into chunks of their own, so what they load stays lazy). Node's
// ESM loader takes ~0.3 ms a module, and Arrow and Arquero are hundreds: loading them took 190 ms
// (280 ms of CPU) of every run, 33 ms bundled. The library (dist/index.js) stays as modules: a user's
// apache-arrow and arquero must be the ones it checks tables against.
import { build } from 'esbuild';
import { readFile, rm } from 'node:fs/promises';
import { relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));

// Loaded from node_modules as they are: parquet-wasm reads its .wasm next to itself; the S3 and queue
// packages load only for runs that use them.
const external = ['parquet-wasm', '@aws-sdk/*', '@smithy/*', 'bullmq', 'ioredis'];

/**
 * Gives each bundled file its own `import.meta.url` back (its path in dist/ or node_modules/), so the
 * URLs it makes relative to it (WebAssembly files, worker scripts, the example data) resolve as before:
 * the path relative to `root`, resolved against `base`, an expression in the output file (its own
 * `import.meta.url` when `root` is the output folder).
 */
const moduleUrls = (root, base = 'import.meta.url') => ({
  name: 'module-urls',
  setup(build) {
    build.onLoad({ filter: /\.m?js$/ }, async ({ path }) => {
      const source = await readFile(path, 'utf8');
      if (!source.includes('import.meta.url')) return undefined;
      const from = relative(root, path).split(sep).join('/');
      return { contents: source.replaceAll('import.meta.url', `new URL(${JSON.stringify(from)}, ${base}).href`), loader: 'js' };
    });
  },
});

const options = {
  bundle: true, format: 'esm', platform: 'node', target: 'node20', external, logLevel: 'warning',
  // Bundled CommonJS (tslib, flatbuffers) may call require(); an ES module has none of its own.
  banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
};
await build({ ...options, entryPoints: [dist + 'cli/main.js'], outdir: dist + 'cli/bundle', splitting: true, plugins: [moduleUrls(dist + 'cli/bundle')] });
// The worker scripts, in place, with the code they share in dist/chunks/ (every file one folder deep,
// so one banner finds dist/ from any of them): what only some runs use (the S3 SDK, for threads that
// fetch objects) stays in a chunk of its own, loaded when first asked for, not by every thread.
const workers = ['job/jobWorker.js', 'read/parseWorker.js'];
await build({
  ...options, entryPoints: workers.map((worker) => dist + worker), outdir: dist, outbase: dist, splitting: true, chunkNames: 'chunks/[name]-[hash]',
  allowOverwrite: true, banner: { js: `${options.banner.js} const __distRoot = new URL('../', import.meta.url).href;` }, plugins: [moduleUrls(dist, '__distRoot')],
});
for (const worker of workers) await rm(`${dist}${worker}.map`, { force: true }); // tsc's maps of the files before they were bundled
