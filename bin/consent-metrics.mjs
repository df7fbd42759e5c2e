#!/usr/bin/env node
// Runs the TypeScript CLI in-process: tsx compiles src/ on the fly, so no build step exists.
import { register } from 'tsx/esm/api';

// The AWS SDK warns about Node 20 on every start; that is noise on a CLI's stderr.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
register();
const { runCli } = await import('../src/cli/runCli.ts');
process.exitCode = await runCli(process.argv.slice(2));
