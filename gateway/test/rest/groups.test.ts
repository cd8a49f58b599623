import { readFileSync } from 'node:fs';
import { Kind, buildSchema, parse, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { readRestArtifacts } from '../../src/rest/index.ts';

/**
 * The API groups partners expect (the product page's curated groups), each recognised in the graph by the root
 * fields that serve it. A group the graph serves must have a REST endpoint under its tag that uses one of those
 * fields; a group the graph does not serve yet must have none (no endpoint for a capability that is not there).
 */
const GROUPS: Record<string, string[]> = {
  Authentication: ['issueToken', 'login', 'viewer', 'apiKeys', 'createApiKey'],
  Orders: ['order', 'orders', 'createOrder'],
  'Payment Sessions': ['startPaymentSession', 'paymentSession', 'paymentSessionByReference'],
  'Release Verification': ['verifyRelease', 'releaseCode', 'confirmParcelRelease'],
  'E-commerce Integrations': ['connectIntegration', 'integrations', 'disconnectIntegration'],
  'Auto-sync Scheduler': ['syncIntegrationNow', 'integrationSchedules'],
  'Carrier Tariffs & Cost Engine': ['quoteShipment', 'tariffs', 'importTariffs', 'chooseCarrier'],
  'CRM & Onboarding': ['transitionOnboarding', 'syncMerchantToCrm', 'createMerchant'],
  RBAC: ['roles', 'assignRole', 'createRole'],
  Webhooks: ['createWebhookEndpoint', 'webhookEndpoints'],
  Settlements: ['settlement', 'settlements'],
  'Carrier Invoice Reconciliation': ['reconcileCarrierInvoice', 'carrierInvoices', 'importCarrierInvoice'],
  'Carrier Statements & Aging': ['carrierStatements', 'carrierStatement'],
  'Accounting & Finance Exports': ['exportAccounting', 'accountingExports'],
  'Internal Controls & Compliance': ['dailyControls', 'approveControl', 'runControls', 'controlRuns'],
  'Smart Returns': ['initiateReturn', 'returns', 'createReturn'],
  'Quote Engine': ['createQuote', 'quotes'],
  'Consumer App Flows': ['consumerOrder', 'trackParcel', 'consumerAccess', 'issueConsumerToken', 'consumer'],
  Localization: ['translations', 'localizedMessages', 'messageTemplates', 'renderMessage', 'publishMessageTemplate'],
};
/** Capabilities a group must expose specifically when the graph serves them. */
const REQUIRED_FIELDS: Record<string, string[]> = { Orders: ['importOrders'] };

const supergraph = buildSchema(readFileSync(new URL('../../../schema/supergraph.graphql', import.meta.url), 'utf8'));
const rootFields = new Set([...Object.keys(supergraph.getQueryType()?.getFields() ?? {}), ...Object.keys(supergraph.getMutationType()?.getFields() ?? {})]);
const { manifest } = readRestArtifacts();
const operations = Object.values(manifest.operations).map((op) => {
  const definition = parse(op.document).definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fields = definition.selectionSet.selections.flatMap((s) => (s.kind === Kind.FIELD ? [s.name.value] : []));
  return { tag: op.http.tag, fields };
});

describe('REST coverage of the API groups', () => {
  for (const [group, signals] of Object.entries(GROUPS)) {
    const served = signals.filter((field) => rootFields.has(field));
    it(`${group}: ${served.length ? `served by ${served.join(', ')}` : 'not served by the graph yet'}`, () => {
      const endpoints = operations.filter((op) => op.tag === group);
      if (!served.length) {
        expect(endpoints, `${group} has endpoints but the graph does not serve it`).toEqual([]);
        return;
      }
      expect(
        endpoints.some((op) => op.fields.some((field) => signals.includes(field))),
        `${group} is served but has no REST endpoint`,
      ).toBe(true);
      for (const field of REQUIRED_FIELDS[group] ?? []) {
        if (rootFields.has(field))
          expect(
            operations.some((op) => op.fields.includes(field)),
            `${field} has no REST endpoint`,
          ).toBe(true);
      }
    });
  }

  it('tags every endpoint with a known group or a supporting tag', () => {
    const supporting = ['Shipments', 'Merchants', 'Audit Trail', 'Dashboards'];
    const unknown = operations.filter((op) => !(op.tag in GROUPS) && !supporting.includes(op.tag));
    expect(unknown).toEqual([]);
  });
});
