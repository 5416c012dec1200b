// A command line that cannot be run as given: the CLI prints the message and exits 2, having done nothing.

export class UsageError extends Error {
  override readonly name = 'UsageError';
}
