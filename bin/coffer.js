#!/usr/bin/env node
// Entry point of the `coffer` command; the compiled CLI lives in dist/ (built by `npm ci` through `prepare`).
const args = process.argv.slice(2);
if (args[0] === 'server') {
  // Straight to the server: the client commands' modules are not needed, and loading them cost
  // about 20 ms of every start-up (pinned to one core).
  const { serverCommand } = await import('../dist/server/command.js');
  process.exitCode = await serverCommand(args.slice(1));
} else {
  const { main } = await import('../dist/cli/main.js');
  process.exitCode = await main(args);
}
