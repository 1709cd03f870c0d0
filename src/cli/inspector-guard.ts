// No debugger into a privileged portpath. Node opens its inspector (a debugger on 127.0.0.1:9229) when the process
// receives SIGUSR1; after the privilege drop the invoking user, or without sudo anyone running as nobody, may send it
// that signal, and whoever connects first could run code in a process that still holds raw sockets. Node 20 has no
// --disable-sigusr1 (it came in 22.14 and 23.7), but a SIGUSR1 listener of our own takes the signal from the
// inspector (test/lab/inspector.test.ts checks that nothing listens afterwards). The library installs no signal
// handlers; only the CLI does this.
import { PortpathError } from '../transport/errors.js';

/** Installed first thing and never removed: without a listener, SIGUSR1 would again open the inspector. */
export function ignoreDebugSignal(): void {
  process.on('SIGUSR1', () => {});
}

/**
 * An inspector opened by the command line (--inspect, NODE_OPTIONS) cannot be taken back by a signal listener:
 * with privileges to guard, portpath refuses to run with one.
 */
export async function refuseOpenInspector(privileged: boolean): Promise<void> {
  // A Node built without the inspector has nothing to open (and no node:inspector module to ask).
  if (!privileged || !process.features.inspector) return;
  const { url } = await import('node:inspector');
  if (url()) throw new PortpathError('ERR_USAGE', "Node's inspector is open (--inspect): portpath does not run with raw-socket privileges under a debugger anyone on this host could attach to.");
}
