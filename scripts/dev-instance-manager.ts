/**
 * The instance manager: `dev-instance-manager ACTION N` (init, info, ports, project-name), also what
 * the justfile's `dev` recipe runs. Plain compiled JavaScript at run time so shell scripts that call
 * `ports` pay only for Node's start-up.
 */
import { main } from '../src/cli/main.js';
import { interruptOn } from '../src/proc/interrupt.js';
import { trace } from '../src/trace.js';

// A reader that goes away (`just dev 2 | head -1`) must not kill a start halfway: its lines are lost,
// the command carries on and leaves the instance whole.
for (const stream of [process.stdout, process.stderr]) {
  // EIO: the terminal closed (SIGHUP); the command still unwinds.
  stream.on('error', (err: NodeJS.ErrnoException) => { if (err.code !== 'EPIPE' && err.code !== 'EIO') throw err; });
}

// Ctrl-C, a closed terminal, or a SIGTERM to this process alone: the command ends like a failed one
// (children stopped, its undo run, locks released), exit 128 + the signal.
interruptOn(['SIGINT', 'SIGTERM', 'SIGHUP'], 30_000);

trace('cli: modules loaded');
const code = await main(process.argv.slice(2));
// Exit here, once output is flushed: a library's idle handle (a PM2 socket, a pool) must never keep
// a finished command hanging.
process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
