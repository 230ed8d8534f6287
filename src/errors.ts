/** Typed errors: commands throw these; only the CLI entry turns them into an exit code. */

/** The user asked for something invalid: exit 2, nothing written or started. */
export class UsageError extends Error {
  readonly exitCode = 2;
  /** Print the usage text after the message. */
  constructor(message: string, readonly showUsage = false) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The stack declaration is invalid: exit 2, one line per problem. */
export class ConfigError extends UsageError {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
  }
}

/** Something outside went wrong (a server, a file, a process): exit 1. */
export class OperationalError extends Error {
  readonly exitCode: number = 1;
  constructor(message: string, readonly hint?: string) {
    super(message);
    this.name = 'OperationalError';
  }
}

/** A Docker engine (this machine's, or a placed host: key is its endpoint, '' for this machine) did not answer. */
export class EngineUnreachableError extends OperationalError {
  constructor(readonly engineKey: string, message: string, hint?: string) {
    super(message, hint);
    this.name = 'EngineUnreachableError';
  }
}

/** A child process failed: the command, how it ended and what that means, the tail of its stderr. */
export class ProcessError extends OperationalError {
  constructor(
    readonly command: string,
    /** The exit code, or undefined when it never ran or was killed. */
    readonly code: number | undefined,
    readonly meaning: string,
    readonly stderrTail: string,
    hint?: string,
  ) {
    super(`${command} ${meaning}`, [stderrTail, hint].filter(Boolean).join('\n') || undefined);
    this.name = 'ProcessError';
  }
}

/** The first lines of an error's message on one line, for a sentence that quotes what failed. */
export const firstLines = (err: unknown, lines = 4): string => (err instanceof Error ? err.message : String(err)).split('\n').slice(0, lines).join(' / ');
