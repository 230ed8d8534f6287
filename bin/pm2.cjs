// PM2's own route into dev-instances, for a project's ecosystem.config.cjs:
//   module.exports = require('dev-instances/pm2')(__dirname);
// then `pm2 start ecosystem.config.cjs` starts one instance's apps with their environment: the instance
// the project's <PROJECT>_INSTANCE variable names, else the number this checkout holds. PM2 reads
// the file with require(), so this is CommonJS and synchronous: it runs `dev-instances render --json`
// (which renders the instance's env files and PM2 app list) and returns that app list.
'use strict';
const { execFileSync } = require('node:child_process');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

module.exports = function ecosystem(projectDir = process.cwd()) {
  const out = execFileSync(process.execPath, [join(__dirname, 'dev.mjs'), 'render', '--json'], {
    cwd: projectDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'],
  });
  const { root, ecosystem } = JSON.parse(out);
  return JSON.parse(readFileSync(join(root, ecosystem), 'utf8'));
};
