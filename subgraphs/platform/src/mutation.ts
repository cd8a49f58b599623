import type { Authorization } from './auth/guard.ts';
import { appendAudit, type AuditActor, type AuditEntry, type AuditTables } from './audit.ts';
import type { AnyDatabase, Database } from './db.ts';
import { EVENT_CATALOGUE, type EventType } from './events/catalogue.ts';
import type { OutboxTable } from './events/outbox.ts';
import { newId } from './ids.ts';

export interface EmittedEvent {
  type: EventType;
  subjectId: string;
  merchantId: string | null;
  livemode: boolean;
  carrierCode?: string | null;
  payload: Record<string, unknown>;
}

/**
 * One mutation's transaction: the state change, its audit records and its outbox events commit together or
 * not at all.
 */
export class UnitOfWork<TSchema extends Record<string, unknown>> {
  readonly auditEntries: AuditEntry[] = [];
  readonly events: EmittedEvent[] = [];
  constructor(readonly tx: Database<TSchema>) {}

  audit(entry: AuditEntry): void {
    this.auditEntries.push(entry);
  }

  /** Records a domain event; it is written to the outbox in this transaction and published after commit. */
  emit(event: EmittedEvent): void {
    const definition = EVENT_CATALOGUE[event.type];
    const missing = definition.required.filter((field) => !(field in event.payload));
    // A payload missing what the catalogue promises is a bug; refusing it keeps consumers' contract intact.
    if (missing.length) throw new Error(`${event.type} payload lacks ${missing.join(', ')}`);
    this.events.push(event);
  }
}

export function actorOf(auth: Authorization, requestId: string | null, sourceIp: string | null): AuditActor {
  const principal = auth.requirePrincipal();
  return {
    principalKind: principal.kind,
    principalId: principal.id,
    credentialId: principal.credentialId,
    livemode: principal.livemode,
    requestId,
    sourceIp,
  };
}

/** A job or a provider callback acting on its own behalf (e.g. `system:crm-sync`, `psp:adyen`). */
export function systemActor(component: string, livemode: boolean, requestId: string | null = null): AuditActor {
  return { principalKind: 'system', principalId: component, credentialId: null, livemode, requestId, sourceIp: null };
}

export interface MutationTables {
  audit: AuditTables;
  outbox?: OutboxTable;
  /** Called after a commit that wrote events (wakes the outbox relay). */
  afterEvents?: () => void;
}

/** PostgreSQL's deadlock_detected and serialization_failure: the transaction lost a race and may simply run again. */
const RETRYABLE_SQLSTATES = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 4;

function retryable(error: unknown): boolean {
  for (let e = error as { code?: unknown; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (typeof e.code === 'string' && RETRYABLE_SQLSTATES.has(e.code)) return true;
  }
  return false;
}

/**
 * Runs a mutation in one transaction. A transaction PostgreSQL aborts as a deadlock victim or serialization
 * failure is run again from the start (with a fresh unit of work), a few times, with a short random pause.
 */
export async function runMutation<TSchema extends Record<string, unknown>, T>(
  db: Database<TSchema>,
  tables: MutationTables,
  actor: AuditActor,
  work: (uow: UnitOfWork<TSchema>) => Promise<T>,
): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await runMutationOnce(db, tables, actor, work);
    } catch (error) {
      if (attempt >= MAX_ATTEMPTS || !retryable(error)) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20 * attempt));
    }
  }
}

async function runMutationOnce<TSchema extends Record<string, unknown>, T>(
  db: Database<TSchema>,
  tables: MutationTables,
  actor: AuditActor,
  work: (uow: UnitOfWork<TSchema>) => Promise<T>,
): Promise<T> {
  let wroteEvents = false;
  const result = await db.transaction(async (tx) => {
    const uow = new UnitOfWork<TSchema>(tx as unknown as Database<TSchema>);
    const value = await work(uow);
    // A mutation that changed nothing auditable is a programming error, not a silent gap in the trail.
    if (uow.auditEntries.length === 0) throw new Error('a mutation must record what it changed in the audit trail');
    await appendAudit(tx as unknown as AnyDatabase, tables.audit, uow.auditEntries, actor);
    if (uow.events.length) {
      if (!tables.outbox) throw new Error('this subgraph has no outbox to emit events to');
      const occurredAt = new Date();
      await (tx as unknown as AnyDatabase).insert(tables.outbox).values(
        uow.events.map((e) => ({
          id: newId('evt'),
          type: e.type,
          version: EVENT_CATALOGUE[e.type].version,
          occurredAt,
          merchantId: e.merchantId,
          livemode: e.livemode,
          carrierCode: e.carrierCode ?? null,
          subjectType: EVENT_CATALOGUE[e.type].subject,
          subjectId: e.subjectId,
          payload: e.payload,
        })),
      );
      wroteEvents = true;
    }
    return value;
  });
  if (wroteEvents) tables.afterEvents?.();
  return result;
}
