// `npm start`: one Parley node on the configured mode (embedded on 127.0.0.1 by default).
import { logger } from '../engine/logger.js';
import { ConfigError, loadConfig } from './config.js';
import { startNode } from './node.js';

try {
  const config = loadConfig();
  logger.level = config.logLevel;
  const node = await startNode(config, logger);
  logger.info({ mode: config.mode, url: node.url }, 'Parley is up');
  console.log(`\n  Parley (${config.mode} mode) is running.\n  Demo page:     ${node.url}/\n  Operator view: ${node.operatorUrl}/admin.html#token=${node.adminToken}\n  Metrics:       ${node.operatorUrl}/metrics\n`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) process.exit(1);
    stopping = true;
    logger.info({ signal, liveCalls: node.calls.size }, 'draining: no new calls, waiting for live calls to end');
    void node.shutdown().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
} catch (error) {
  if (error instanceof ConfigError) {
    console.error(error.message);
    process.exit(2);
  }
  throw error;
}
