/**
 * The declaration found from the working directory and loaded at run time, TypeScript included: the
 * nearest folder with one is the project; a warm load imports the cached module; an edit is seen; a
 * syntax error or an error thrown while loading names the file and line.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadStack } from '../../src/config/load.js';
import type { ConfigError } from '../../src/errors.js';
import { findProject } from '../../src/project.js';
import { tempDir } from '../helpers/cli.js';

const declaration = (project: string, extra = '') => `${extra}
const ports: number = 4900;
export default {
  project: '${project}', portStride: 100, bindAddress: '127.0.0.1',
  services: { web: { label: 'Web', portKey: 'WEB', basePort: ports } },
  apps: { web: { cwd: '.', command: ['true'], port: 'web', envSources: [] as string[] } },
  env: () => ({}),
};
`;
const noEnv: NodeJS.ProcessEnv = {};

describe('the project and its declaration', () => {
  const dir = tempDir('di-decl-');
  after(dir.cleanup);

  it('the nearest folder at or above the working directory with a declaration is the project, from any subfolder', async () => {
    const root = join(dir.path, 'one');
    mkdirSync(join(root, 'a', 'b'), { recursive: true });
    writeFileSync(join(root, 'dev-instances.config.ts'), declaration('one', "import { join } from 'node:path';\nvoid join;"));
    const p = findProject(join(root, 'a', 'b'), noEnv);
    assert.deepEqual(p, { root, config: join(root, 'dev-instances.config.ts') });
    const loaded = await loadStack(p);
    assert.equal(loaded.decl.project, 'one');
    assert.equal(loaded.source, 'dev-instances.config.ts');
    assert.equal(readdirSync(join(root, '.instances', '.cache')).filter((f) => f.endsWith('.mjs')).length, 1, 'compiled once, into the project');
    // An edit is seen at once; the unchanged file is imported from the cache without a new build.
    writeFileSync(join(root, 'dev-instances.config.ts'), declaration('one-edited'));
    assert.equal((await loadStack(p)).decl.project, 'one-edited');
    assert.equal(readdirSync(join(root, '.instances', '.cache')).filter((f) => f.endsWith('.mjs')).length, 2);
    assert.equal((await loadStack(p)).decl.project, 'one-edited');
    assert.equal(readdirSync(join(root, '.instances', '.cache')).filter((f) => f.endsWith('.mjs')).length, 2, 'a warm load builds nothing');
  });

  it('a local module the declaration imports is part of what the cache is keyed by', async () => {
    const root = join(dir.path, 'two');
    mkdirSync(root);
    // import.meta.url in a bundled file still names that file (here: the text file beside it).
    writeFileSync(join(root, 'suffix.txt'), '');
    writeFileSync(join(root, 'name.ts'), "import { readFileSync } from 'node:fs';\nexport const NAME: string = 'two' + readFileSync(new URL('./suffix.txt', import.meta.url), 'utf8');\n");
    writeFileSync(join(root, 'dev-instances.config.ts'), declaration('${NAME}', "import { NAME } from './name.js';").replace("'${NAME}'", 'NAME'));
    const p = findProject(root, noEnv);
    assert.equal((await loadStack(p)).decl.project, 'two');
    writeFileSync(join(root, 'name.ts'), "export const NAME: string = 'two-b';\n");
    assert.equal((await loadStack(p)).decl.project, 'two-b');
  });

  it('a syntax error names the file, line and column; an error thrown while it loads names the file and line', async () => {
    const root = join(dir.path, 'three');
    mkdirSync(root);
    const file = join(root, 'dev-instances.config.ts');
    writeFileSync(file, "export default {\n  project: 'three',,\n};\n");
    await assert.rejects(loadStack(findProject(root, noEnv)), (err: ConfigError) => {
      assert.match(err.problems[0] ?? '', /^dev-instances\.config\.ts:2:\d+: /);
      return true;
    });
    writeFileSync(file, "const port: number = 1;\nif (port) throw new Error('no secrets file');\nexport default {};\n");
    await assert.rejects(loadStack(findProject(root, noEnv)), (err: ConfigError) => {
      assert.equal(err.problems[0], 'dev-instances.config.ts:2: the declaration failed to load: no secrets file');
      return true;
    });
  });

  it('no declaration here or above: exit 2 saying what it looks for and what to run', () => {
    assert.throws(() => findProject('/', noEnv), (err: ConfigError) => /^no declaration \(dev-instances\.config\.ts\) in \/ or any folder above it: run `npx dev-instances init`/.test(err.problems[0] ?? ''));
  });
});
