import type { DatabaseTarget } from '../db.ts';
import type { Logger } from '../logger.ts';
import type { EventBus } from './bus.ts';
import { NatsEventBus } from './nats-bus.ts';
import { SqlEventBus } from './sql-bus.ts';

/** NATS JetStream when NATS_URL is set (several machines), otherwise the SQL log in the given database. */
export async function openEventBus(database: DatabaseTarget, logger: Logger, env = process.env): Promise<EventBus> {
  if (env.NATS_URL) return NatsEventBus.connect(env.NATS_URL, logger, { stream: env.NATS_STREAM, subjectPrefix: env.NATS_SUBJECT_PREFIX });
  return SqlEventBus.open(database, logger);
}
