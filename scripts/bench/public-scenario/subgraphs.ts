/**
 * The four subgraphs of the public graphql-gateways-benchmark scenario (accounts, inventory, products, reviews),
 * written here in Node (@apollo/subgraph on node:http) with the same schema, data and answers as theirs: 6 users,
 * 9 products (5 top), 11 reviews with their long bodies, the author of every review user 1 "urigo" (provided),
 * every User entity's reviews the first two reviews. Composes the supergraph and tells the harness.
 */
import { createServer } from 'node:http';
import { composeServices } from '@apollo/composition';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { execute, parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { serveStats } from '../gateway-lib.ts';

const federation =
  'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@external", "@requires", "@provides", "@shareable"])';

const USERS = [
  { id: '1', name: 'Uri Goldshtein', username: 'urigo', birthday: 1234567890 },
  { id: '2', name: 'Dotan Simha', username: 'dotansimha', birthday: 1234567890 },
  { id: '3', name: 'Kamil Kisiela', username: 'kamilkisiela', birthday: 1234567890 },
  { id: '4', name: 'Arda Tanrikulu', username: 'ardatan', birthday: 1234567890 },
  { id: '5', name: 'Gil Gardosh', username: 'gilgardosh', birthday: 1234567890 },
  { id: '6', name: 'Laurin Quast', username: 'laurin', birthday: 1234567890 },
];
const PRODUCTS = [
  { upc: '1', name: 'Table', price: 899, weight: 100 },
  { upc: '2', name: 'Couch', price: 1299, weight: 1000 },
  { upc: '3', name: 'Glass', price: 15, weight: 20 },
  { upc: '4', name: 'Chair', price: 499, weight: 100 },
  { upc: '5', name: 'TV', price: 1299, weight: 1000 },
  { upc: '6', name: 'Lamp', price: 6999, weight: 300 },
  { upc: '7', name: 'Grill', price: 3999, weight: 2000 },
  { upc: '8', name: 'Fridge', price: 100000, weight: 6000 },
  { upc: '9', name: 'Sofa', price: 9999, weight: 800 },
];
const IN_STOCK: Record<string, boolean> = { 1: true, 2: false, 3: false, 4: false, 5: true, 6: true, 7: true, 8: false, 9: true };
// Their review bodies: four texts of 140 to 1,100 characters (Lorem ipsum / Sed ut perspiciatis / …), reused.
const LOREM =
  'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum.';
const SED =
  'Sed ut perspiciatis unde omnis iste natus error sit voluptatem accusantium doloremque laudantium, totam rem aperiam, eaque ipsa quae ab illo inventore veritatis et quasi architecto beatae vitae dicta sunt explicabo. Nemo enim ipsam voluptatem quia voluptas sit aspernatur aut odit aut fugi';
const QUIA =
  'sed quia consequuntur magni dolores eos qui ratione voluptatem sequi nesciunt. Neque porro quisquam est, qui dolorem ipsum quia dolor sit amet, consectetur, adipisci velit, sed quia non numquam eius modi tempora incidunt ut labore et dolore magnam aliquam quaerat voluptatem.';
const MINIMA =
  'Ut enim ad minima veniam, quis nostrum exercitationem ullam corporis suscipit laboriosam, nisi ut aliquid ex ea commodi consequatur? Quis autem';
const VERO = `At vero eos et accusamus et iusto odio dignissimos ducimus qui blanditiis praesentium voluptatum deleniti atque corrupti quos dolores et quas molestias excepturi sint occaecati cupiditate non provident, similique sunt in culpa qui officia deserunt mollitia animi, id est laborum et dolorum fuga. Et harum quidem rerum facilis est et expedita distinctio. Nam libero tempore, cum soluta nobis est eligendi optio cumque nihil impedit quo minus id quod maxime placeat facere possimus, omnis voluptas assumenda est, omnis dolor repellendus. Temporibus autem quibusdam et aut officiis debitis aut rerum necessitatibus saepe eveniet ut et voluptates repudiandae sint et molestiae non recusandae. Itaque earum rerum hic tenetur a sapiente delectus, ut aut reiciendis voluptatibus maiores alias consequatur aut perferendis doloribus asperiores repellat.`;
const REVIEWS = [
  [LOREM, '1'],
  [SED, '1'],
  [QUIA, '1'],
  [MINIMA, '1'],
  [LOREM, '2'],
  [SED, '2'],
  [QUIA, '2'],
  [MINIMA, '2'],
  [MINIMA, '3'],
  [MINIMA, '4'],
  [VERO, '4'],
].map(([body, upc], i) => ({ id: String(i + 1), body, product: { upc } }));

const SUBGRAPHS: Record<string, { typeDefs: string; resolvers: Record<string, any> }> = {
  accounts: {
    typeDefs: `${federation}
      type Query { me: User user(id: ID!): User users: [User] }
      type User @key(fields: "id") { id: ID! name: String username: String @shareable birthday: Int }`,
    resolvers: {
      Query: { me: () => USERS[0], user: (_: unknown, { id }: { id: string }) => USERS.find((u) => u.id === id), users: () => USERS },
      User: { __resolveReference: ({ id }: { id: string }) => USERS.find((u) => u.id === id) },
    },
  },
  inventory: {
    typeDefs: `${federation}
      type Product @key(fields: "upc") { upc: String! weight: Int @external price: Int @external inStock: Boolean shippingEstimate: Int @requires(fields: "price weight") }`,
    resolvers: {
      Product: {
        __resolveReference: (ref: { upc: string; price?: number; weight?: number }) => ({ ...ref, inStock: IN_STOCK[ref.upc] }),
        shippingEstimate: ({ price, weight }: { price?: number; weight?: number }) =>
          price === undefined || price === null ? null : price > 1000 ? 0 : weight === undefined || weight === null ? null : Math.trunc(weight / 2),
      },
    },
  },
  products: {
    typeDefs: `${federation}
      type Query { topProducts(first: Int = 5): [Product] }
      type Product @key(fields: "upc") { upc: String! name: String price: Int weight: Int }`,
    resolvers: {
      Query: { topProducts: (_: unknown, { first }: { first: number }) => PRODUCTS.slice(0, first) },
      Product: { __resolveReference: ({ upc }: { upc: string }) => PRODUCTS.find((p) => p.upc === upc) },
    },
  },
  reviews: {
    typeDefs: `${federation}
      type Review @key(fields: "id") { id: ID! body: String author: User @provides(fields: "username") product: Product }
      type User @key(fields: "id") { id: ID! username: String @external reviews: [Review] }
      type Product @key(fields: "upc") { upc: String! reviews: [Review] }`,
    resolvers: {
      Review: {
        __resolveReference: ({ id }: { id: string }) => REVIEWS.find((r) => r.id === id),
        author: () => ({ id: '1', username: 'urigo' }),
      },
      User: { __resolveReference: ({ id }: { id: string }) => ({ id, username: 'user' }), reviews: () => REVIEWS.slice(0, 2) },
      Product: {
        __resolveReference: ({ upc }: { upc: string }) => ({ upc }),
        reviews: ({ upc }: { upc: string }) => REVIEWS.filter((r) => r.product.upc === upc),
      },
    },
  },
};

/** A small GraphQL-over-HTTP server: parse and validate once per document, execute per request. */
function serve(schema: GraphQLSchema): Promise<number> {
  const documents = new Map<string, DocumentNode>();
  const server = createServer(async (req, res) => {
    let text = '';
    for await (const chunk of req) text += chunk;
    const { query, variables, operationName } = JSON.parse(text);
    let document = documents.get(query);
    if (!document) {
      document = parse(query);
      const errors = validate(schema, document);
      if (errors.length) return void res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ errors }));
      documents.set(query, document);
    }
    const result = await execute({ schema, document, variableValues: variables, operationName });
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

const urls: Record<string, string> = {};
for (const [name, { typeDefs, resolvers }] of Object.entries(SUBGRAPHS)) {
  urls[name] = `http://127.0.0.1:${await serve(buildSubgraphSchema([{ typeDefs: parse(typeDefs), resolvers }]))}/graphql`;
}
const composed = composeServices(Object.entries(SUBGRAPHS).map(([name, { typeDefs }]) => ({ name, url: urls[name]!, typeDefs: parse(typeDefs) })));
if (composed.errors) throw new Error(composed.errors.map((e) => e.message).join('\n'));
serveStats({ urls, supergraphSdl: composed.supergraphSdl });
