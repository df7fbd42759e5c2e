// The executable's entry: the command line with this process's arguments. `bin/consent-metrics.mjs`
// runs its compiled form, bundled (dist/cli/bundle/main.js, see scripts/bundle.mjs); `npm start` runs
// this source through tsx.

// The AWS SDK warns about Node 20 on every start: noise on a CLI's stderr. Set before the SDK loads,
// hence the dynamic import below.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { runCli } = await import('./runCli.ts');
const code = await runCli(process.argv.slice(2));
// A stopped worker exits even if a connection to an absent Redis is still retrying in the background.
if (process.argv[2] === 'worker') process.exit(code);
process.exitCode = code;
