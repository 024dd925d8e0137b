/**
 * Summarises a V8 CPU profile (`node --cpu-prof`): self time by function and by file, so a bench run
 * with `--profile DIR` shows where the server's time went. Usage: `node --import tsx bench/profile.ts FILE... [top] [last-seconds]`.
 */
import { readFileSync } from 'node:fs';
import { profileArgs } from './profile-args.js';

interface ProfileNode {
  id: number;
  parent?: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** When the process last did real work: the end of the load, before the idle shutdown wait. */
function lastBusy(profile: Profile, isIdle: (id: number) => boolean): number {
  const slice = 250_000;
  const busy = new Map<number, number>();
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (!isIdle(id)) {
      const s = Math.floor(at / slice);
      busy.set(s, (busy.get(s) ?? 0) + (profile.timeDeltas[i] ?? 0));
    }
  });
  const loaded = [...busy].filter(([, time]) => time > slice / 2).map(([s]) => s);
  return loaded.length ? (Math.max(...loaded) + 1) * slice : profile.endTime;
}

/** `lastSeconds` keeps only the last busy seconds of the profile (the measured load, not seeding or start-up). */
function summarise(file: string, top: number, lastSeconds?: number): string {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const isIdle = (id: number) => byId.get(id)!.callFrame.functionName === '(idle)';
  const self = new Map<number, number>();
  const end = lastSeconds ? lastBusy(profile, isIdle) : profile.endTime;
  const from = lastSeconds ? end - lastSeconds * 1e6 : 0;
  let total = 0;
  let idle = 0;
  let at = profile.startTime;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    at += dt;
    if (at < from || at > end) return;
    if (isIdle(id)) {
      idle += dt;
      return;
    }
    self.set(id, (self.get(id) ?? 0) + dt);
    total += dt;
  });
  const shortUrl = (url: string) =>
    url
      .replace(/^file:\/\//, '')
      .replace(/.*\/node_modules\//, 'nm/')
      .replace(/.*\/dist\//, 'dist/');
  for (const node of profile.nodes)
    for (const child of node.children ?? []) byId.get(child)!.parent = node.id;
  const nameOf = (id: number) => {
    const frame = byId.get(id)!.callFrame;
    const where = frame.url ? `${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '(native)';
    return `${frame.functionName || '(anonymous)'} ${where}`;
  };
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  const inclusive = new Map<string, number>();
  for (const [id, time] of self) {
    const frame = byId.get(id)!.callFrame;
    byFunction.set(nameOf(id), (byFunction.get(nameOf(id)) ?? 0) + time);
    const fileKey = frame.url ? shortUrl(frame.url) : frame.functionName || '(native)';
    byFile.set(fileKey, (byFile.get(fileKey) ?? 0) + time);
    // Inclusive time counts each function once per stack, however deep its recursion.
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = byId.get(at)!.parent) {
      const name = nameOf(at);
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + time);
    }
  }
  const table = (map: Map<string, number>) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, time]) => `${((time / total) * 100).toFixed(1).padStart(5)}%  ${name}`)
      .join('\n');
  return `${file}: ${(total / 1e6).toFixed(1)} s busy, ${(idle / 1e6).toFixed(1)} s idle (excluded)\n\nself time by function\n${table(byFunction)}\n\nself time by file\n${table(byFile)}\n\ninclusive time (project code)\n${table(
    new Map([...inclusive].filter(([name]) => name.includes('dist/') || name.includes('src/'))),
  )}\n`;
}

const args = profileArgs(process.argv.slice(2));
if (!args) {
  console.error('usage: bench/profile.ts FILE.cpuprofile... [top] [last-seconds]');
  process.exit(2);
}
for (const file of args.files) console.log(summarise(file, args.top, args.last));
