/**
 * The instance manager: `dev-instance-manager ACTION N` (init, info, ports, project-name), also what
 * the justfile's `dev` recipe runs. Plain compiled JavaScript at run time so shell scripts that call
 * `ports` pay only for Node's start-up.
 */
import { main } from '../src/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
