/** The one query of the public graphql-gateways-benchmark scenario, and what a correct answer to it holds. */
export const PUBLIC_QUERY = `fragment User on User { id username name }
fragment Review on Review { id body }
fragment Product on Product { inStock name price shippingEstimate upc weight }
query TestQuery {
  users { ...User reviews { ...Review product { ...Product reviews { ...Review author { ...User reviews { ...Review product { ...Product } } } } } } }
  topProducts { ...Product reviews { ...Review author { ...User reviews { ...Review product { ...Product } } } } }
}`;

export function checkPublicAnswer(json: any): void {
  if (json.errors) throw new Error('errors');
  if (json.data.users.length !== 6 || json.data.topProducts.length !== 5) throw new Error('wrong list sizes');
  if (json.data.topProducts[0].reviews[0].author.reviews[0].product.shippingEstimate !== 50) throw new Error('wrong @requires result');
}
