// PM2's own route into the example: `SHIPSEC_INSTANCE=2 pm2 start ecosystem.config.cjs` starts
// instance 2's apps with their environment (`require('dev-instances/pm2')` in a project that installed it).
module.exports = require('dev-instances/pm2')(__dirname);
