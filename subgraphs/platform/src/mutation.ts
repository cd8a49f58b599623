import type { Authorization } from './auth/guard.ts';
import { appendAudit, type AuditActor, type AuditEntry, type AuditTables } from './audit.ts';
import type { Database } from './db.ts';

/**
 * One mutation's transaction: the state change, its audit records (and, as domains plug in, its outbox
 * events) commit together or not at all.
 */
export class UnitOfWork<TSchema extends Record<string, unknown>> {
  readonly auditEntries: AuditEntry[] = [];
  constructor(readonly tx: Database<TSchema>) {}

  audit(entry: AuditEntry): void {
    this.auditEntries.push(entry);
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

export async function runMutation<TSchema extends Record<string, unknown>, T>(
  db: Database<TSchema>,
  audit: AuditTables,
  actor: AuditActor,
  work: (uow: UnitOfWork<TSchema>) => Promise<T>,
): Promise<T> {
  return db.transaction(async (tx) => {
    const uow = new UnitOfWork<TSchema>(tx as unknown as Database<TSchema>);
    const result = await work(uow);
    // A mutation that changed nothing auditable is a programming error, not a silent gap in the trail.
    if (uow.auditEntries.length === 0) throw new Error('a mutation must record what it changed in the audit trail');
    await appendAudit(tx as unknown as Database<any>, audit, uow.auditEntries, actor);
    return result;
  });
}
