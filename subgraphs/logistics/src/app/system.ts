import { runMutation, systemActor, type Database, type UnitOfWork } from '@ipay/platform';
import { auditHead, auditLog, outbox } from '../db/schema.ts';
import type * as schema from '../db/schema.ts';

export type Db = Database<typeof schema>;
export type Uow = UnitOfWork<typeof schema>;

const TABLES = { audit: { auditLog, auditHead }, outbox };

/**
 * A mutation by a system component (event consumer, carrier webhook), with audit and outbox. The outbox relay
 * polls, so its events go out within a second.
 */
export function runAsSystem<T>(db: Db, component: string, livemode: boolean, work: (uow: Uow) => Promise<T>, requestId: string | null = null): Promise<T> {
  return runMutation(db, TABLES, systemActor(component, livemode, requestId), work);
}
