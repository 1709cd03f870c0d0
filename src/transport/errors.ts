// Errors a user can cause or meet, each with a stable code and one clear sentence (the CLI prints the message).

export type PortpathErrorCode =
  | 'ERR_USAGE'
  | 'ERR_UNKNOWN_HOST'
  | 'ERR_NO_PRIVILEGE'
  | 'ERR_NO_ROUTE'
  | 'ERR_NO_INTERFACE'
  | 'ERR_BAD_SOURCE'
  | 'ERR_FAMILY'
  | 'ERR_SEND'
  | 'ERR_NATIVE'
  | 'ERR_PRIVILEGE_DROP'
  | 'ERR_REPORT_FILE'
  | 'ERR_CONFIG';

/** Exit codes, one per kind of failure, so scripts can tell them apart. */
export const EXIT_CODES: Record<PortpathErrorCode, number> = {
  ERR_USAGE: 2,
  ERR_UNKNOWN_HOST: 3,
  ERR_FAMILY: 3,
  ERR_NO_PRIVILEGE: 4,
  ERR_NO_ROUTE: 5,
  ERR_NO_INTERFACE: 6,
  ERR_BAD_SOURCE: 6,
  ERR_SEND: 7,
  ERR_NATIVE: 8,
  ERR_PRIVILEGE_DROP: 9,
  ERR_REPORT_FILE: 10,
  ERR_CONFIG: 11,
};

export class PortpathError extends Error {
  constructor(
    readonly code: PortpathErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PortpathError';
  }
}

export function errnoOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
}

const NO_PRIVILEGE_HINT =
  'raw sockets need root or CAP_NET_RAW: run it with sudo, or give the capability to a copy of node that only a ' +
  "group you choose may run (see the README's Privileges section), or use --mode unprivileged";

/** Raw sockets were refused: the sentence says how to get them. */
export function noRawPrivilege(): PortpathError {
  return new PortpathError('ERR_NO_PRIVILEGE', `Permission denied: ${NO_PRIVILEGE_HINT}.`);
}

/** Turns a syscall failure into the sentence a user needs. */
export function describeSocketError(error: unknown, context: { destination?: string; interface?: string }): PortpathError {
  const code = errnoOf(error);
  switch (code) {
    case 'EPERM':
    case 'EACCES':
      return noRawPrivilege();
    case 'ENETUNREACH':
    case 'EHOSTUNREACH':
      return new PortpathError('ERR_NO_ROUTE', `No route to host${context.destination ? ` ${context.destination}` : ''}: this machine has no route to that address.`);
    case 'ENODEV':
      return new PortpathError('ERR_NO_INTERFACE', `Interface ${context.interface ?? '?'} does not exist.`);
    case 'EADDRNOTAVAIL':
      return new PortpathError('ERR_BAD_SOURCE', 'That source address is not configured on this machine.');
    case 'EADDRINUSE':
      return new PortpathError('ERR_BAD_SOURCE', 'That source port is already in use: pick another with --sport or leave it out.');
    default:
      return new PortpathError('ERR_NATIVE', `Socket error: ${error instanceof Error ? error.message : String(error)}.`);
  }
}

/**
 * A probe the kernel would not send. The sockets are open by then, so EPERM here is not a missing privilege: a
 * local firewall's OUTPUT rules refused the packet (netfilter answers a dropped local packet with EPERM).
 */
export function describeSendError(error: unknown, destination: string): PortpathError {
  if (error instanceof PortpathError) return error;
  const code = errnoOf(error);
  switch (code) {
    case 'EPERM':
    case 'EACCES':
      return new PortpathError('ERR_SEND', `The kernel refused to send a probe to ${destination} (${code}): a firewall on this machine (its OUTPUT rules) blocks it.`);
    case 'ENOBUFS':
    case 'EAGAIN':
      return new PortpathError('ERR_SEND', `The kernel could not queue a probe to ${destination} (${code}): this machine's send buffers are full.`);
    case 'EMSGSIZE':
      return new PortpathError('ERR_SEND', `A probe to ${destination} is larger than the path allows (EMSGSIZE).`);
    default:
      return describeSocketError(error, { destination });
  }
}
