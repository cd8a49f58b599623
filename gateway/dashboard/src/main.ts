import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';
import manifest from '../../../schema/persisted-operations.json';
import './style.css';

/**
 * The operator dashboard and sandbox console. Every call is a persisted operation of schema/operations (so it also
 * runs where the gateway accepts persisted operations only, and each has its REST endpoint); live data comes over
 * GraphQL over SSE (/graphql/stream) with the bus event id as SSE id, resumed with Last-Event-ID after a drop.
 */

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- GraphQL answers rendered field by field into HTML
type Json = any;
interface Operation {
  name: string;
  document: string;
  http: { method: string; path: string; successStatus: number; idempotency: string };
  variables: { name: string; source: 'path' | 'query' | 'body' }[];
  body: { kind: 'none' | 'properties' | 'variable'; variable?: string };
}
const OPERATIONS = new Map<string, Operation>(
  Object.values((manifest as unknown as { operations: Record<string, Operation> }).operations).map((op) => [op.name, op]),
);

const $ = <T extends HTMLElement = HTMLElement>(selector: string) => document.querySelector<T>(selector)!;
const input = (id: string) => $<HTMLInputElement>(`#${id}`);
const escape = (text: unknown) => String(text ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const money = (m: { amount: number; currency: string } | null | undefined) => (m ? `${(m.amount / 100).toFixed(2)} ${m.currency}` : '–');

let credential = sessionStorage.getItem('ipay.credential') ?? '';
let merchants: { id: string; name: string }[] = [];

// ---------------------------------------------------------------- GraphQL over HTTP (persisted operations)

class GraphQLFailure extends Error {
  constructor(readonly errors: Json[]) {
    super(errors.map((e) => `${e.extensions?.code ?? 'ERROR'}: ${e.message}`).join('; '));
  }
}

async function run(name: string, variables: Record<string, unknown> = {}): Promise<Json> {
  const op = OPERATIONS.get(name);
  if (!op) throw new Error(`no persisted operation ${name}`);
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${credential}` },
    body: JSON.stringify({ query: op.document, operationName: name, variables }),
  });
  const body = await response.json();
  if (body.errors?.length) throw new GraphQLFailure(body.errors);
  return body.data;
}

/** The same call as curl against the REST facade (path, query string and body as the manifest maps them). */
function curlFor(name: string, variables: Record<string, unknown>): string {
  const op = OPERATIONS.get(name)!;
  let path = op.http.path;
  const query = new URLSearchParams();
  const body: Record<string, unknown> = {};
  for (const variable of op.variables) {
    const value = variables[variable.name];
    if (value === undefined) continue;
    if (variable.source === 'path') path = path.replace(`{${variable.name}}`, encodeURIComponent(String(value)));
    else if (variable.source === 'query') for (const v of [value].flat()) query.append(variable.name, String(v));
    else body[variable.name] = value;
  }
  const url = `${location.origin}${path}${query.size ? `?${query}` : ''}`;
  const lines = [`curl -s -X ${op.http.method} '${url}'`, `  -H 'authorization: Bearer ${credential.slice(0, 16)}…'`];
  if (op.http.method !== 'GET' && op.http.method !== 'DELETE') {
    const payload = op.body.kind === 'variable' ? body[op.body.variable!] : body;
    lines.push(`  -H 'content-type: application/json'`);
    if (op.http.idempotency !== 'none') lines.push(`  -H 'idempotency-key: ${crypto.randomUUID()}'`);
    lines.push(`  -d '${JSON.stringify(payload ?? {})}'`);
  }
  return lines.join(' \\\n');
}

// ---------------------------------------------------------------- sign-in

async function signIn(newCredential: string) {
  credential = newCredential;
  const { viewer: who } = await run('GetViewer');
  if (!who) throw new Error('credential refused');
  sessionStorage.setItem('ipay.credential', credential);
  $('#signin').hidden = true;
  $('#signin-error').textContent = '';
  $('#app').hidden = false;
  $('#signout').hidden = false;
  $('#viewer').textContent = `${who.displayName} · ${who.kind.toLowerCase()} · ${who.livemode ? 'LIVE' : 'sandbox'}`;
  // The sandbox console only for test-mode credentials: live keys never see it.
  $('#sandbox').hidden = who.livemode;
  const { merchants: page } = await run('ListMerchants', { first: 100 });
  merchants = page.edges.map((e: Json) => e.node);
  for (const select of [$<HTMLSelectElement>('#filter-merchant'), $<HTMLSelectElement>('#sb-merchant')]) {
    select.querySelectorAll('option[data-merchant]').forEach((o) => o.remove());
    for (const m of merchants) select.insertAdjacentHTML('beforeend', `<option data-merchant value="${escape(m.id)}">${escape(m.name)}</option>`);
  }
  await Promise.all([loadKpis(), refreshAll()]);
  follow();
  // Deliveries fail and retry on the webhook worker's clock, not on an event of their own: look every few seconds.
  setInterval(() => void refreshWebhooks(), 5_000);
}

$('#signin-key').addEventListener('click', () => signIn(input('api-key').value.trim()).catch(showSignInError));
$('#signin-login').addEventListener('click', async () => {
  try {
    credential = '';
    const response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        query: OPERATIONS.get('Login')!.document,
        variables: { email: input('email').value, password: input('password').value, livemode: input('livemode').checked },
      }),
    });
    const body = await response.json();
    if (body.errors?.length) throw new GraphQLFailure(body.errors);
    await signIn(body.data.login.accessToken);
  } catch (error) {
    showSignInError(error);
  }
});
$('#signout').addEventListener('click', () => (sessionStorage.removeItem('ipay.credential'), location.reload()));
function showSignInError(error: unknown) {
  $('#signin-error').textContent = (error as Error).message;
}

// ---------------------------------------------------------------- live streams over SSE, resumed by event id

type StreamState = 'connecting' | 'live' | 'behind' | 'reconnecting';

/**
 * Follows one subscription over GraphQL over SSE. After any drop it reconnects by itself (backoff up to 10 s) with
 * Last-Event-ID = the last event it received, so the server replays what was missed before going live again.
 */
function sseSubscription(
  query: string,
  variables: Record<string, unknown>,
  onEvent: (data: Json, id: string | null, replayed: boolean) => void,
  onState: (state: StreamState, note?: string) => void,
) {
  let stopped = false;
  let lastId: string | null = null;
  let attempt = 0;
  let controller: AbortController | undefined;
  const connect = async () => {
    controller = new AbortController();
    const resuming = lastId !== null;
    const since = Date.now();
    let replayed = 0;
    onState(resuming ? 'behind' : 'connecting', resuming ? `resuming after ${lastId}` : undefined);
    try {
      const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'text/event-stream', authorization: `Bearer ${credential}` };
      if (lastId) headers['last-event-id'] = lastId;
      const response = await fetch('/graphql/stream', { method: 'POST', headers, body: JSON.stringify({ query, variables }), signal: controller.signal });
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      attempt = 0;
      let caughtUp = !resuming;
      if (!resuming) onState('live');
      // Caught up when the stream goes quiet or brings an event newer than the reconnect.
      let quiet: ReturnType<typeof setTimeout> | undefined;
      const markLive = () => {
        if (caughtUp) return;
        caughtUp = true;
        onState('live', resuming ? `gap filled: ${replayed} missed event${replayed === 1 ? '' : 's'} replayed` : undefined);
      };
      if (resuming) quiet = setTimeout(markLive, 1500);
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          let data = '';
          let id: string | null = null;
          for (const line of block.split('\n')) {
            const colon = line.indexOf(':');
            if (colon <= 0) continue;
            const field = line.slice(0, colon);
            const text = line.slice(colon + 1).replace(/^ /, '');
            if (field === 'event') event = text;
            else if (field === 'data') data += text;
            else if (field === 'id') id = text;
          }
          if (event === 'complete') throw new Error('stream completed');
          if (event !== 'next' || !data) continue;
          const result = JSON.parse(data);
          if (id) lastId = id;
          const occurred = Date.parse(result.data ? ((Object.values(result.data)[0] as Json)?.occurredAt ?? '') : '');
          const isReplay = !caughtUp && !(occurred >= since);
          if (isReplay) {
            replayed++;
            clearTimeout(quiet);
            quiet = setTimeout(markLive, 1500);
            onState('behind', `catching up: ${replayed} missed event${replayed === 1 ? '' : 's'} so far`);
          } else markLive();
          onEvent(result, id, isReplay);
        }
      }
      throw new Error('stream ended');
    } catch (error) {
      if (stopped) return;
      attempt++;
      const delay = Math.min(1000 * 2 ** (attempt - 1), 10_000);
      onState('reconnecting', `${(error as Error).message}; retrying in ${Math.round(delay / 1000)} s${lastId ? ` from ${lastId}` : ''}`);
      setTimeout(() => void (stopped || connect()), delay);
    }
  };
  void connect();
  return () => ((stopped = true), controller?.abort());
}

const statusBadge = $('#conn-status');
function showState(state: StreamState, note?: string) {
  statusBadge.className = `status ${state}`;
  statusBadge.textContent = { connecting: 'connecting…', live: 'live', behind: 'behind — catching up', reconnecting: 'reconnecting…' }[state];
  statusBadge.title = note ?? '';
  if (note) $('#gap-note').textContent = note;
}

const EVENTS = `subscription Feed($merchantId: ID, $orderId: ID, $types: [String!]) {
  events(merchantId: $merchantId, orderId: $orderId, types: $types) { eventId type occurredAt merchantId subjectType subjectId payload }
}`;
const KPIS = `subscription Kpis($merchantId: ID) {
  kpis(merchantId: $merchantId) { eventId type snapshot { merchantId day livemode counters { metric count } } }
}`;

let stopFeed: (() => void) | undefined;
let stopKpis: (() => void) | undefined;
function follow() {
  stopFeed?.();
  stopKpis?.();
  const merchantId = $<HTMLSelectElement>('#filter-merchant').value || undefined;
  const orderId = input('filter-order').value.trim() || undefined;
  const types = input('filter-type')
    .value.split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  $('#events').innerHTML = '';
  stopFeed = sseSubscription(
    EVENTS,
    { merchantId, orderId, types: types.length ? types : undefined },
    (result, _id, replayed) => addEvent(result.data?.events, replayed),
    showState,
  );
  stopKpis = sseSubscription(
    KPIS,
    { merchantId },
    (result) => {
      const update = result.data?.kpis;
      if (!update) return;
      snapshots.set(update.snapshot.merchantId, update.snapshot);
      renderKpis(true);
    },
    () => {},
  );
}
$('#filters').addEventListener('submit', (event) => {
  event.preventDefault();
  void loadKpis();
  follow();
});

// ---------------------------------------------------------------- events table, chart, drill-down

const buckets = new Map<number, Record<string, number>>();
const CATEGORIES = ['order', 'payment', 'shipment', 'return', 'other'] as const;
const categoryOf = (type: string) =>
  type.startsWith('order.')
    ? 'order'
    : /^(payment|refund)\./.test(type)
      ? 'payment'
      : /^(carrier|release|parcel|shipment)\./.test(type)
        ? 'shipment'
        : /^(return|retention)\./.test(type)
          ? 'return'
          : 'other';
const COLORS: Record<string, string> = { order: '#2451d6', payment: '#15803d', shipment: '#b45309', return: '#9333ea', other: '#6b7280' };
const chart = new Chart<'bar', number[], string>($<HTMLCanvasElement>('#flow-chart'), {
  type: 'bar',
  data: { labels: [], datasets: CATEGORIES.map((c) => ({ label: c, data: [] as number[], backgroundColor: COLORS[c] })) },
  options: {
    animation: false,
    maintainAspectRatio: false,
    scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
    plugins: { legend: { position: 'bottom' } },
  },
});
function renderChart() {
  const now = Math.floor(Date.now() / 60_000);
  const minutes = Array.from({ length: 30 }, (_, i) => now - 29 + i);
  chart.data.labels = minutes.map((m) => new Date(m * 60_000).toISOString().slice(11, 16));
  chart.data.datasets.forEach((dataset, i) => (dataset.data = minutes.map((m) => buckets.get(m)?.[CATEGORIES[i]!] ?? 0)));
  chart.update();
}
setInterval(renderChart, 30_000);

const orderOf = (event: Json): string | null => event.payload?.order_id ?? (event.subjectType === 'Order' ? event.subjectId : null);
function addEvent(event: Json, replayed: boolean) {
  if (!event) return;
  const minute = Math.floor(Date.parse(event.occurredAt) / 60_000);
  const bucket = buckets.get(minute) ?? {};
  bucket[categoryOf(event.type)] = (bucket[categoryOf(event.type)] ?? 0) + 1;
  buckets.set(minute, bucket);
  renderChart();
  const order = orderOf(event);
  const merchant = merchants.find((m) => m.id === event.merchantId)?.name ?? event.merchantId ?? '';
  const row = document.createElement('tr');
  row.dataset.eventId = event.eventId;
  row.dataset.type = event.type;
  if (order) row.dataset.orderId = order;
  if (replayed) row.className = 'replayed';
  row.innerHTML = `<td>${escape(event.occurredAt.slice(11, 19))}</td><td>${escape(event.type)}</td><td>${escape(merchant)}</td><td>${escape(order ?? `${event.subjectType} ${event.subjectId}`)}</td><td>${escape(event.eventId)}</td>`;
  row.addEventListener('click', () => order && void drillDown(order));
  const body = $('#events');
  body.prepend(row);
  while (body.children.length > 200) body.lastElementChild!.remove();
  if (/^(webhook|return|release|parcel)\./.test(event.type)) void refreshAll();
}

async function drillDown(orderId: string) {
  const target = $('#drilldown');
  target.textContent = 'loading…';
  try {
    const { order } = await run('GetOrderDrillDown', { id: orderId });
    if (!order) return void (target.textContent = 'not found');
    const release = order.shipment?.release;
    target.innerHTML = `<dl class="drill" data-order-id="${escape(order.id)}">
      <dt>order</dt><dd>${escape(order.merchantReference)} · <span class="pill">${escape(order.status)}</span> · ${money(order.total)}</dd>
      <dt>merchant</dt><dd>${escape(order.merchant?.name)}</dd>
      <dt>customer</dt><dd>${escape(order.customer?.name)} &lt;${escape(order.customer?.email)}&gt;</dd>
      <dt>payment</dt><dd id="drill-payment">${order.paymentSession ? `${escape(order.paymentSession.reference)} · <span class="pill">${escape(order.paymentSession.status)}</span> · ${escape(order.paymentSession.psp)}/${escape(order.paymentSession.method)}` : '–'}</dd>
      <dt>shipment</dt><dd id="drill-shipment">${order.shipment ? `${escape(order.shipment.trackingNumber)} · <span class="pill">${escape(order.shipment.status)}</span> · ${escape(order.shipment.carrier?.name)}` : '–'}</dd>
      <dt>release</dt><dd id="drill-release">${release ? `<span class="pill ${escape(release.status)}">${escape(release.status)}</span> · ${release.failedAttempts} failed attempt(s)` : '–'}</dd>
      <dt>settlement</dt><dd id="drill-settlement">${order.settlement ? `<span class="pill">${escape(order.settlement.status)}</span> ${escape(order.settlement.periodStart)} – ${escape(order.settlement.periodEnd)}` : '–'}</dd>
    </dl>`;
  } catch (error) {
    target.textContent = (error as Error).message;
  }
}

// ---------------------------------------------------------------- KPI tiles

const snapshots = new Map<string, Json>();
let failingDeliveries = 0;
async function loadKpis() {
  const selected = $<HTMLSelectElement>('#filter-merchant').value;
  snapshots.clear();
  await Promise.all(
    merchants
      .filter((m) => !selected || m.id === selected)
      .map(async (m) => {
        try {
          snapshots.set(m.id, (await run('GetMerchantKpis', { merchantId: m.id })).kpis);
        } catch {
          // a merchant outside the caller's scope has no tile to add to
        }
      }),
  );
  renderKpis(false);
}
const TILES: Record<string, string[]> = {
  'kpi-orders': ['orders_created'],
  'kpi-payments': ['payments_confirmed'],
  'kpi-released': ['parcels_released'],
  'kpi-returns': ['returns_initiated'],
};
function renderKpis(flash: boolean) {
  const selected = $<HTMLSelectElement>('#filter-merchant').value;
  const today = new Date().toISOString().slice(0, 10);
  for (const [tile, metrics] of Object.entries(TILES)) {
    let total = 0;
    for (const [merchantId, snapshot] of snapshots) {
      if ((selected && merchantId !== selected) || snapshot.day !== today) continue;
      for (const c of snapshot.counters) if (metrics.includes(c.metric)) total += c.count;
    }
    setTile(tile, total, flash);
  }
  setTile('kpi-webhooks', failingDeliveries, flash);
}
function setTile(id: string, value: number, flash: boolean) {
  const element = $(`#${id} .value`);
  if (element.textContent === String(value)) return;
  element.textContent = String(value);
  if (flash) {
    $(`#${id}`).classList.add('moved');
    setTimeout(() => $(`#${id}`).classList.remove('moved'), 800);
  }
}

// ---------------------------------------------------------------- operator action lists

function list(id: string, items: string[], empty: string) {
  $(`#${id}`).innerHTML = items.length ? items.join('') : `<li class="empty">${escape(empty)}</li>`;
}
const button = (label: string, data: Record<string, string>) =>
  `<button class="small" ${Object.entries(data)
    .map(([k, v]) => `data-${k}="${escape(v)}"`)
    .join(' ')}>${escape(label)}</button>`;

async function refreshWebhooks() {
  const items: string[] = [];
  let count = 0;
  for (const m of merchants) {
    for (const status of ['FAILED', 'PENDING']) {
      let endpoints: Json[];
      try {
        endpoints = (await run('ListWebhookDeliveries', { merchantId: m.id, status })).webhookEndpoints;
      } catch {
        continue;
      }
      for (const endpoint of endpoints) {
        for (const { node } of endpoint.deliveries.edges) {
          // PENDING with an error is a delivery that is failing and waiting for its next retry.
          if (status === 'PENDING' && !node.lastError && node.lastStatusCode === null) continue;
          count++;
          items.push(
            `<li data-delivery-id="${escape(node.id)}"><span><span class="pill ${escape(node.status)}">${escape(node.status)}</span> ${escape(node.eventType)} → ${escape(endpoint.url)} <span class="muted">${node.attemptCount}× ${escape(node.lastStatusCode ?? node.lastError ?? '')}</span></span>${button('replay', { replay: endpoint.id, event: node.eventId })}</li>`,
          );
        }
      }
    }
  }
  failingDeliveries = count;
  renderKpis(true);
  list('failed-webhooks', items.slice(0, 30), 'no failing deliveries');
}
async function refreshReleases() {
  const { orders } = await run('ListOrderReleases', { first: 100, merchantId: $<HTMLSelectElement>('#filter-merchant').value || undefined });
  const locked = orders.edges.map((e: Json) => e.node).filter((o: Json) => o.shipment?.release?.status === 'LOCKED');
  list(
    'locked-releases',
    locked.map(
      (o: Json) =>
        `<li data-shipment-id="${escape(o.shipment.id)}"><span>${escape(o.merchantReference)} · ${escape(o.shipment.trackingNumber)} <span class="pill LOCKED">LOCKED</span> <span class="muted">${o.shipment.release.failedAttempts} wrong codes</span></span>${button('reissue code', { reissue: o.shipment.id })}</li>`,
    ),
    'no locked releases',
  );
}
async function refreshInvoices() {
  try {
    const { carrierInvoices } = await run('ListUnreconciledCarrierInvoices', { status: 'RECONCILING' });
    list(
      'unreconciled-invoices',
      carrierInvoices.edges.map(
        ({ node }: Json) =>
          `<li><span>${escape(node.carrier)} ${escape(node.invoiceNumber)} · ${escape(node.invoiceDate)}</span><span>open ${money(node.open)} <span class="pill RECONCILING">RECONCILING</span></span></li>`,
      ),
      'every carrier invoice reconciled',
    );
  } catch (error) {
    list('unreconciled-invoices', [`<li class="empty">${escape((error as Error).message)}</li>`], '');
  }
}
async function refreshControls() {
  try {
    const { controlRuns } = await run('ListControlRuns', { first: 1 });
    const latest = controlRuns.edges[0]?.node;
    if (!latest) return list('failing-controls', [], 'no control run yet: run now');
    const failing = latest.results.filter((r: Json) => r.result !== 'PASS');
    list(
      'failing-controls',
      [
        `<li class="empty">run ${escape(latest.runDate)} (${escape(latest.trigger.toLowerCase())}): <span class="pill ${escape(latest.result)}">${escape(latest.result)}</span></li>`,
        ...failing.map(
          (r: Json) =>
            `<li><span>${escape(r.control)} <span class="muted">${escape(r.description)}</span></span><span class="pill ${escape(r.result)}">${escape(r.result)} · ${r.evidenceCount}</span></li>`,
        ),
      ],
      '',
    );
  } catch (error) {
    list('failing-controls', [`<li class="empty">${escape((error as Error).message)}</li>`], '');
  }
}
const REFRESH: Record<string, () => Promise<void>> = {
  webhooks: refreshWebhooks,
  releases: refreshReleases,
  invoices: refreshInvoices,
  controls: refreshControls,
};
let refreshing: Promise<unknown> | undefined;
async function refreshAll() {
  if (refreshing) return refreshing;
  refreshing = Promise.allSettled(Object.values(REFRESH).map((f) => f())).finally(() => (refreshing = undefined));
  return refreshing;
}
document.addEventListener('click', async (event) => {
  const target = event.target as HTMLElement;
  if (target.dataset.refresh) return void REFRESH[target.dataset.refresh]!();
  if (target.dataset.replay) {
    await consoleCall('ReplayWebhookEvent', { endpointId: target.dataset.replay, eventId: target.dataset.event });
    return void refreshWebhooks();
  }
  if (target.dataset.reissue) {
    await consoleCall('ReissueReleaseCode', { shipmentId: target.dataset.reissue });
    return void refreshReleases();
  }
});
$('#run-controls').addEventListener('click', async () => (await consoleCall('RunControls', { sendDigest: false }), refreshControls()));

// ---------------------------------------------------------------- sandbox console

let calls = 0;
/** Runs a persisted operation and shows it as GraphQL, as curl for the REST facade, and its response. */
async function consoleCall(name: string, variables: Record<string, unknown>): Promise<Json> {
  const call = document.createElement('div');
  call.className = 'call';
  call.dataset.operation = name;
  call.dataset.seq = String(++calls);
  const pretty = `${OPERATIONS.get(name)!.document}\n\n# variables\n${JSON.stringify(variables, null, 2)}`;
  call.innerHTML = `<div><h4>GraphQL · ${escape(name)}</h4><pre class="request-graphql">${escape(pretty)}</pre></div><div><h4>REST (curl)</h4><pre class="request-curl">${escape(curlFor(name, variables))}</pre></div><div><h4>response</h4><pre class="response">…</pre></div>`;
  const output = $('#console-output');
  output.prepend(call);
  while (output.children.length > 12) output.lastElementChild!.remove();
  try {
    const data = await run(name, variables);
    call.querySelector('.response')!.textContent = JSON.stringify(data, null, 2);
    call.dataset.ok = 'true';
    return data;
  } catch (error) {
    call.querySelector('.response')!.textContent =
      error instanceof GraphQLFailure ? JSON.stringify({ errors: error.errors }, null, 2) : (error as Error).message;
    call.dataset.ok = 'false';
    throw error;
  }
}

/** Two sandbox orders in the CSV format importOrders reads (header row, one order line per row). */
function sampleCsv(): string {
  const stamp = Date.now().toString(36).toUpperCase();
  return [
    'reference,currency,customer_name,customer_email,ship_name,ship_line1,ship_city,ship_postal_code,ship_country,sku,item_name,quantity,unit_amount,total_amount',
    `CSV-${stamp}-1,EUR,Jonas Berg,jonas.berg@example.com,Jonas Berg,Damrak 2,Amsterdam,1012 LG,NL,MUG-RED,Red mug,2,1995,3990`,
    `CSV-${stamp}-2,EUR,Mia Vos,mia.vos@example.com,Mia Vos,Coolsingel 40,Rotterdam,3011 AD,NL,SBX-1,Sandbox socks,1,1250,1250`,
  ].join('\n');
}
const firstCsvReference = (csv: string): string | undefined => {
  const [header, first] = csv.trim().split(/\r?\n/);
  const column =
    header
      ?.split(',')
      .map((name) => name.trim())
      .indexOf('reference') ?? -1;
  return column >= 0 ? first?.split(',')[column]?.trim() : undefined;
};
$<HTMLTextAreaElement>('#sb-csv').value = sampleCsv();
$<HTMLInputElement>('#sb-csv-file').addEventListener('change', async (event) => {
  const file = (event.target as HTMLInputElement).files?.[0];
  if (file) $<HTMLTextAreaElement>('#sb-csv').value = await file.text();
});

const field = (id: string) => input(id).value.trim();
const set = (id: string, value: string) => (input(id).value = value);
const ACTIONS: Record<string, () => Promise<unknown>> = {
  createOrder: async () => {
    const reference = `SBX-${Date.now().toString(36).toUpperCase()}`;
    const { createOrder } = await consoleCall('CreateOrder', {
      idempotencyKey: reference,
      input: {
        merchantId: $<HTMLSelectElement>('#sb-merchant').value,
        merchantReference: reference,
        currency: 'EUR',
        customer: { name: 'Sandra Sandbox', email: 'sandra@example.com' },
        shippingAddress: { name: 'Sandra Sandbox', line1: 'Damrak 1', city: 'Amsterdam', postalCode: '1012 LG', country: 'NL' },
        lines: [{ sku: 'SBX-1', name: 'Sandbox socks', quantity: 2, unitAmount: 1250 }],
        totalAmount: 2500,
      },
    });
    set('sb-order', createOrder.id);
    for (const id of ['sb-session', 'sb-shipment', 'sb-release', 'sb-code']) set(id, '');
  },
  startPayment: async () => {
    const { startPaymentSession } = await consoleCall('StartPaymentSession', {
      input: { orderId: field('sb-order'), psp: 'ADYEN', method: 'card', idempotencyKey: `sess-${field('sb-order')}` },
    });
    set('sb-session', startPaymentSession.id);
  },
  importCsv: async () => {
    const merchantId = $<HTMLSelectElement>('#sb-merchant').value;
    const csv = $<HTMLTextAreaElement>('#sb-csv');
    if (!csv.value.trim()) csv.value = sampleCsv();
    const { importOrders } = await consoleCall('ImportOrders', { merchantId, format: 'CSV', content: csv.value });
    // The import runs as a job: follow it until it ends, then show it once.
    let job = importOrders;
    for (let polls = 0; (job.status === 'PENDING' || job.status === 'RUNNING') && polls < 120; polls += 1) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      job = (await run('GetImportJob', { id: importOrders.id })).importJob;
    }
    const { importJob } = await consoleCall('GetImportJob', { id: importOrders.id });
    // The first row's order becomes the console's order, for the next steps.
    const reference = firstCsvReference(csv.value);
    if (importJob.status !== 'COMPLETED' || !importJob.createdCount || !reference) return;
    const { orderByReference } = await consoleCall('GetOrderByReference', { merchantId, reference });
    set('sb-order', orderByReference.id);
    for (const id of ['sb-session', 'sb-shipment', 'sb-release', 'sb-code']) set(id, '');
    // Importing the same file again creates no duplicates; the next sample has fresh references.
    csv.value = sampleCsv();
  },
  simulatePayment: () =>
    consoleCall('SimulateSandboxPayment', {
      sessionId: field('sb-session'),
      outcome: $<HTMLSelectElement>('#sb-outcome').value,
      duplicate: input('sb-duplicate').checked,
      outOfOrder: input('sb-out-of-order').checked,
      delay: input('sb-delay').checked,
    }),
  releaseNotifications: () => consoleCall('ReleaseSandboxNotifications', { sessionId: field('sb-session') }),
  createShipment: async () => {
    const { createShipment } = await consoleCall('CreateShipment', {
      input: {
        orderId: field('sb-order'),
        serviceLevel: 'STANDARD',
        deliveryMethod: 'DOOR',
        parcel: { weightGrams: 1000, dimensions: { lengthMm: 300, widthMm: 200, heightMm: 100 } },
      },
    });
    set('sb-shipment', createShipment.shipment.id);
  },
  scan: () => consoleCall('SimulateCarrierScan', { shipmentId: field('sb-shipment'), scan: $<HTMLSelectElement>('#sb-scan').value }),
  scenario: () => consoleCall('SimulateCarrierScans', { shipmentId: field('sb-shipment'), scenario: $<HTMLSelectElement>('#sb-scenario').value }),
  releaseCode: async () => {
    const { releaseCode } = await consoleCall('GetReleaseCode', { orderId: field('sb-order') });
    set('sb-code', releaseCode.code);
    set('sb-release', releaseCode.release.id);
  },
  verifyRelease: async () => {
    const { verifyRelease } = await consoleCall('VerifyRelease', {
      input: { shipmentId: field('sb-shipment'), code: field('sb-code'), locationType: 'DOOR', agentId: 'sandbox-driver' },
    });
    if (verifyRelease.release?.id) set('sb-release', verifyRelease.release.id);
  },
  confirmRelease: () => consoleCall('ConfirmParcelRelease', { releaseId: field('sb-release') }),
  requestReturn: async () => {
    const merchantId = $<HTMLSelectElement>('#sb-merchant').value;
    const code = field('sb-reason') || 'DAMAGED';
    const { returnReasons } = await consoleCall('ListReturnReasons', { merchantId });
    if (!returnReasons.some((r: Json) => r.code === code))
      await consoleCall('CreateReturnReason', { merchantId, input: { code, label: code.charAt(0) + code.slice(1).toLowerCase().replaceAll('_', ' ') } });
    return consoleCall('RequestReturn', { input: { orderId: field('sb-order'), reasonCode: code, method: 'DROP_OFF' } });
  },
  createEndpoint: async () => {
    const { createWebhookEndpoint } = await consoleCall('CreateWebhookEndpoint', {
      input: {
        merchantId: $<HTMLSelectElement>('#sb-merchant').value,
        url: field('sb-url') || 'http://127.0.0.1:9/hook',
        eventTypes: ['*'],
        description: 'sandbox console',
      },
    });
    set('sb-endpoint', createWebhookEndpoint.endpoint.id);
  },
  replay: () =>
    consoleCall('ReplayWebhooks', {
      endpointId: field('sb-endpoint'),
      from: new Date(Date.now() - 3_600_000).toISOString(),
      to: new Date(Date.now() + 60_000).toISOString(),
    }).then(() => refreshWebhooks()),
};
document.querySelectorAll<HTMLButtonElement>('button[data-action]').forEach((b) =>
  b.addEventListener('click', async () => {
    b.disabled = true;
    try {
      await ACTIONS[b.dataset.action!]!();
    } catch {
      // shown in the console output
    } finally {
      b.disabled = false;
    }
  }),
);

if (credential) signIn(credential).catch(() => sessionStorage.removeItem('ipay.credential'));
