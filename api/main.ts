// `npm start`: one Parley node on the configured mode (embedded on 127.0.0.1 by default).
// SIGTERM or SIGINT drains it (api/node.ts): no new calls, live ones go on until they end or
// drainTimeoutSeconds passes; a second signal ends the rest at once. Exit code 0 after a drain.
import { logger } from '../engine/logger.js';
import { vectorClone } from '../engine/native/vector-clone.js';
import { ConfigError, loadConfig } from './config.js';
import { startNode } from './node.js';

try {
  const config = loadConfig();
  logger.level = config.logLevel;
  // Before the node starts: a stale addon without the question fails before anything listens.
  const clone = vectorClone();
  const node = await startNode(config, logger);
  logger.info({ mode: config.mode, url: node.url, vectorClone: clone }, 'Parley is up');
  console.log(`\n  Parley (${config.mode} mode) is running.\n  Demo page:     ${node.url}/\n  Operator view: ${node.operatorUrl}/admin.html#token=${node.adminToken}\n  Metrics:       ${node.operatorUrl}/metrics\n`);
  const stop = (signal: string): void => {
    logger.info({ signal, draining: node.drain.draining }, node.drain.draining ? 'second signal: ending the rest now' : 'signal: draining');
    void node.shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
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
