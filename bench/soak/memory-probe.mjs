// Loaded into the spoc process by bench/soak (`node --import ./bench/soak/memory-probe.mjs bin/spoc.js serve`):
// every SOAK_SAMPLE_MS it writes the process's own memory figures to standard error as one line,
// `soak-memory {"rss":…,"heapUsed":…,"heapTotal":…,"external":…,"cpuMicros":…}`. Sizes and CPU time only: nothing of any request.
const every = Number(process.env.SOAK_SAMPLE_MS || 10000);
setInterval(() => {
  const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
  const { user, system } = process.cpuUsage();
  process.stderr.write(`soak-memory ${JSON.stringify({ rss, heapUsed, heapTotal, external, cpuMicros: user + system })}\n`);
}, every).unref();
