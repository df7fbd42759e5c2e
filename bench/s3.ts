// The same data read from a local folder and from s3rver on loopback, by the same command, in paired
// runs; beside them, the store's ceiling: every object fetched with parallel GETs, bodies thrown away
// (bench/getAll.mjs), with a bare SDK client, with the job's client and checksum setting, and through
// the job's own read (readObject), whose difference from the plain GET is its per-chunk work.
// `npm run bench -- --s3 [--events 2000000] [--runs 5]`.
// s3rver runs on the same cores as the job, so the S3 runs' wall time includes its serving: its own CPU
// time per run is printed beside (one thread; on two cores it takes most of one).
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startFaultProxy } from '../test/support/faultProxy.ts';
import { startS3rver } from '../test/support/startS3rver.ts';
import { cpuSecondsOf, measureNode, median, medians, type Measured } from './measureProcess.ts';

/** Prints the comparison for the data at `data` (a datehour folder tree); `out` is a scratch Parquet path. */
export async function compareS3(data: string, out: string, runs: number): Promise<void> {
  const server = await startS3rver(['events']);
  // AWS S3 sends a whole object's CRC64NVME with it, s3rver none: the test proxy adds it (computed once an object).
  const proxy = await startFaultProxy(server.endpoint, server.directory);
  try {
    const keys = readdirSync(data, { recursive: true, encoding: 'utf8' }).filter((name) => name.includes('/')).sort();
    let bytes = 0;
    for (const key of keys) {
      const body = readFileSync(join(data, key));
      bytes += body.length;
      await server.client.send(new PutObjectCommand({ Bucket: 'events', Key: `raw/${key}`, Body: body }));
    }
    const s3Flags = ['--endpoint', server.endpoint];
    const env = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' };
    Object.assign(process.env, env);
    const commands: Record<string, string[]> = {
      local: ['bin/consent-metrics.mjs', data, '--out', out, '--limit', '0', '--quiet'],
      s3: ['bin/consent-metrics.mjs', 's3://events/raw', '--out', out, '--limit', '0', '--quiet', ...s3Flags],
      's3, --workers 0 (one thread)': ['bin/consent-metrics.mjs', 's3://events/raw', '--out', out, '--limit', '0', '--quiet', '--workers', '0', ...s3Flags],
      's3 with checksums (as AWS sends them)': ['bin/consent-metrics.mjs', 's3://events/raw', '--out', out, '--limit', '0', '--quiet', '--endpoint', proxy.endpoint],
      's3 with checksums, --checksums off': ['bin/consent-metrics.mjs', 's3://events/raw', '--out', out, '--limit', '0', '--quiet', '--endpoint', proxy.endpoint, '--checksums', 'off'],
      'plain parallel GET, a bare SDK client': ['bench/getAll.mjs', server.endpoint, 'events', 'raw/', '16', 'sdk'],
      'plain parallel GET, the job\'s client': ['bench/getAll.mjs', server.endpoint, 'events', 'raw/', '16', 'project'],
      'plain parallel GET, the job\'s client, checksums': ['bench/getAll.mjs', proxy.endpoint, 'events', 'raw/', '16', 'project'],
      'readObject alone, checksums': ['bench/getAll.mjs', proxy.endpoint, 'events', 'raw/', '16', 'readObject'],
    };
    const results: Record<string, (Measured & { stderr: string })[]> = Object.fromEntries(Object.keys(commands).map((name) => [name, []]));
    const serverCpu: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((name) => [name, []]));
    for (let run = 0; run < runs; run++) {
      for (const [name, args] of Object.entries(commands)) {
        const before = cpuSecondsOf(server.pid);
        results[name]!.push(await measureNode(args));
        serverCpu[name]!.push(cpuSecondsOf(server.pid) - before);
      }
      console.error(`run ${run + 1}: ${Object.entries(results).map(([name, list]) => `${name} ${list.at(-1)!.wall.toFixed(2)} s`).join(', ')}`);
    }
    console.log(`\n${data}: ${keys.length} objects, ${(bytes / 2 ** 20).toFixed(0)} MiB, local and through s3rver on loopback; ${runs} paired runs, medians\n`);
    console.log('| run | wall | CPU (this process) | peak RSS | s3rver CPU |\n|---|---|---|---|---|');
    const summary = Object.fromEntries(Object.entries(results).map(([name, list]) => [name, medians(list)]));
    for (const [name, row] of Object.entries(summary)) {
      console.log(`| ${name} | ${row.wall.toFixed(2)} s | ${row.cpuSeconds.toFixed(2)} s | ${row.peakRssMiB.toFixed(0)} MiB | ${median(serverCpu[name]!).toFixed(2)} s |`);
    }
    const [local, s3] = [summary.local!, summary.s3!];
    console.log(`\ns3 / local: wall ${(s3.wall / local.wall).toFixed(2)}x, CPU ${(s3.cpuSeconds / local.cpuSeconds).toFixed(2)}x`);
    const [checked, unchecked] = [summary['s3 with checksums (as AWS sends them)']!, summary['s3 with checksums, --checksums off']!];
    console.log(`checksums checked / not: the run's own CPU ${(checked.cpuSeconds / unchecked.cpuSeconds).toFixed(2)}x, wall ${(checked.wall / unchecked.wall).toFixed(2)}x`);
    // The run's own CPU beside what it cannot avoid: the local run's work plus the plain GET's, with the same client and checksums.
    for (const [run, get] of [['s3', 'plain parallel GET, the job\'s client'], ['s3 with checksums (as AWS sends them)', 'plain parallel GET, the job\'s client, checksums']] as const) {
      const [cpu, floor] = [summary[run]!.cpuSeconds, local.cpuSeconds + summary[get]!.cpuSeconds];
      console.log(`${run}: CPU ${cpu.toFixed(2)} s = local + ${((cpu - local.cpuSeconds) / summary[get]!.cpuSeconds).toFixed(2)}x the plain GET's (${get}); wall ${(summary[run]!.wall / local.wall).toFixed(2)}x local's; floor ${floor.toFixed(2)} s`);
    }
    const chunks = Number(/(\d+) chunks/.exec(results['readObject alone, checksums']!.at(-1)!.stderr)?.[1]);
    const perChunk = (summary['readObject alone, checksums']!.cpuSeconds - summary['plain parallel GET, the job\'s client, checksums']!.cpuSeconds) / chunks;
    console.log(`readObject's own work: ${(perChunk * 1e6).toFixed(1)} µs a chunk over the plain GET's, ${chunks} chunks (${(bytes / chunks / 1024).toFixed(1)} KiB each)`);
  } finally {
    await proxy.stop();
    await server.stop();
  }
}
