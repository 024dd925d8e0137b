#!/usr/bin/env node
// Entry point of the `coffer` command; the compiled CLI lives in dist/ (built by `npm ci` through `prepare`).
import { availableParallelism } from 'node:os';

const args = process.argv.slice(2);
if (args[0] === 'server') {
  // The config file is parsed by HashiCorp's HCL compiled to WebAssembly, in a worker thread whose
  // start-up (~300 ms of CPU) is the largest part of a cold start. Begun before the server's modules
  // load, it runs beside them on another core: on two cores, the first request 781 -> 682 ms (medians).
  // Confined to one core, the two only take turns, a little slower than one after the other.
  if (availableParallelism() > 1 && args.some((arg) => /^--?config(=|$)/.test(arg)))
    // A failure here is left to the server's own parse of the file, which reports it.
    import('../dist/config/hcl.js').then(
      (hcl) => hcl.startHclParser(),
      () => undefined,
    );
  // Straight to the server: the client commands' modules are not needed, and loading them cost
  // about 20 ms of every start-up (pinned to one core).
  const { serverCommand } = await import('../dist/server/command.js');
  process.exitCode = await serverCommand(args.slice(1));
} else {
  const { main } = await import('../dist/cli/main.js');
  process.exitCode = await main(args);
}
