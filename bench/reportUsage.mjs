// Preloaded into a benchmarked process (node --import): at exit, writes its CPU time and peak RSS
// as JSON to the file named by BENCH_USAGE_FILE.
import { readFileSync, writeFileSync } from 'node:fs';

process.on('exit', () => {
  const usage = process.resourceUsage();
  // Linux's VmHWM is this process's own peak; getrusage's maxrss keeps the parent's size at the fork
  // (the benchmark harness), which would floor every small figure.
  const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  writeFileSync(process.env.BENCH_USAGE_FILE, JSON.stringify({
    cpuSeconds: (usage.userCPUTime + usage.systemCPUTime) / 1e6,
    peakRssMiB: hwm === undefined ? usage.maxRSS / 1024 : Number(hwm) / 1024,
  }));
});
