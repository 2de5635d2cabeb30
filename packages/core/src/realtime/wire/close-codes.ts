/** Close codes, as graphql-ws names them. Kept apart from the schemas so a client can import them alone. */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  MessageTooBig: 1009,
  BadRequest: 4400,
  Unauthorized: 4401,
  Forbidden: 4403,
  /** The client reads too slowly: its unsent output passed the limit and stayed there. */
  SlowConsumer: 4408,
  TooManyRequests: 4429,
  InternalError: 4500,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];
