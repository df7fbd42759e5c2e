#!/usr/bin/env node
// Runs the CLI from dist/ (compiled by `npm run build`, which `npm ci` runs) when it is newer than
// every source file; otherwise from src/ through tsx, so an edited source is never shadowed by a
// stale build. Compiled JS starts in half the time: no loader hooks on every import.
import { readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// The AWS SDK warns about Node 20 on every start; that is noise on a CLI's stderr.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const path = (relative) => fileURLToPath(new URL(relative, import.meta.url));
function distIsFresh() {
  let built;
  try {
    built = statSync(path('../dist/.built')).mtimeMs;
  } catch {
    return false;
  }
  const sources = readdirSync(path('../src'), { recursive: true });
  return sources.every((file) => statSync(path(`../src/${file}`)).mtimeMs <= built);
}

let runCli;
if (distIsFresh()) {
  ({ runCli } = await import('../dist/cli/runCli.js'));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ runCli } = await import('../src/cli/runCli.ts'));
}
process.exitCode = await runCli(process.argv.slice(2));
