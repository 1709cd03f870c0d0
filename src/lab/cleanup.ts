// Making sure no lab outlives its creator: every live lab is registered here and removed at destroy(), at process
// exit (synchronously, the only kind of work an exit handler can do), on SIGTERM/SIGHUP, and on Ctrl-C (SIGINT) when
// the program does not handle it itself; a lab whose creator died anyway (SIGKILL) is swept by the next lab build on
// this machine.
import type { ChildProcess } from 'node:child_process';
import { run } from './exec.js';
import { NAMESPACE_PREFIX, namespaceOwner } from './names.js';

const liveNamespaces = new Set<string>();
/** Each live chain's own set of child processes (it keeps adding to it while the lab runs). */
const liveChildren = new Set<Set<ChildProcess>>();
let hooked = false;

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Kills whatever still runs inside the namespace (forwarders, servers, a stray trace) and deletes it. */
export function removeNamespace(namespace: string): void {
  const pids = run('ip', ['netns', 'pids', namespace], { allowFailure: true }).split(/\s+/).filter(Boolean);
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // already gone
    }
  }
  run('ip', ['netns', 'del', namespace], { allowFailure: true });
}

export function labNamespaces(): string[] {
  return run('ip', ['netns', 'list'], { allowFailure: true })
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(NAMESPACE_PREFIX));
}

/** Removes labs left behind by processes that no longer exist. */
export function sweepStaleLabs(): void {
  for (const namespace of labNamespaces()) {
    const owner = namespaceOwner(namespace);
    if (owner !== undefined && owner !== process.pid && !processAlive(owner)) removeNamespace(namespace);
  }
}

function removeEverything(): void {
  for (const children of liveChildren) for (const child of children) child.kill('SIGKILL');
  for (const namespace of liveNamespaces) removeNamespace(namespace);
  liveChildren.clear();
  liveNamespaces.clear();
}

function hookProcessExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', removeEverything);
  for (const signal of ['SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      removeEverything();
      process.exit(128 + (signal === 'SIGTERM' ? 15 : 1));
    });
  }
  // Ctrl-C: a program that handles SIGINT itself (the demo) goes on doing so and destroys its labs on its way out;
  // anything else (a test file, a script) would die at once and leave its labs behind, so they go first.
  process.on('SIGINT', () => {
    if (process.listenerCount('SIGINT') > 1) return;
    removeEverything();
    process.exit(130);
  });
}

export function registerLab(namespaces: string[], children: Set<ChildProcess>): void {
  hookProcessExit();
  for (const namespace of namespaces) liveNamespaces.add(namespace);
  liveChildren.add(children);
}

export function unregisterLab(namespaces: string[], children: Set<ChildProcess>): void {
  liveChildren.delete(children);
  for (const namespace of namespaces) {
    removeNamespace(namespace);
    liveNamespaces.delete(namespace);
  }
}
